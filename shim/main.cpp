// iptmode-shim: installed as iptables (and its five siblings), it runs the
// backend iptmode decided, with version checks. Static, no heap on its fast
// path: it runs on every iptables call kubelet makes.
#include "shim/dispatch.h"

int main(int argc, char** argv, char** envp) {
  return iptmode::shim::run(argc, argv, envp);
}
