// iptmode-shim: installed as iptables (and its five siblings), it runs the
// backend iptmode decided, with version checks. Static, no heap on its fast
// path: it runs on every iptables call kubelet makes.
#include "shim/dispatch.h"

// What `iptmode shim install` looks for in a file's bytes before it installs
// it as the shim (cli/cmd_shim.cpp keeps it shifted, so that iptmode itself,
// or any file but this binary, is refused).
[[gnu::used]] static const char kShimMarker[] = "@(#)iptmode-shim dispatcher";

int main(int argc, char** argv, char** envp) {
  return iptmode::shim::run(argc, argv, envp);
}
