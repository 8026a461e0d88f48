#include "core/wrapper.h"

namespace iptmode {
namespace {

bool has(std::string_view w, std::string_view s) {
  return w.find(s) != std::string_view::npos;
}

}  // namespace

std::string_view to_string(WrapperKind k) {
  switch (k) {
    case WrapperKind::none:
      return "none";
    case WrapperKind::sigs_v1:
      return "kubernetes-sigs v1";
    case WrapperKind::sigs_v1_timeout:
      return "kubernetes-sigs v1 (1.8.3 timeout)";
    case WrapperKind::sigs_v2:
      return "kubernetes-sigs v2";
    case WrapperKind::sigs_v3:
      return "kubernetes-sigs v3";
    case WrapperKind::k8s_release:
      return "kubernetes/release debian-iptables";
    case WrapperKind::k3s_detect:
      return "k3s-root iptables-detect.sh";
    case WrapperKind::unknown:
      return "unknown";
  }
  return "unknown";
}

void WrapperMarks::note(std::string_view w) {
  relink_failure = relink_failure || has(w, "Unable to redirect iptables binaries");
  hint = hint || has(w, "KUBE-IPTABLES-HINT");
  go_module = go_module || has(w, "kubernetes-sigs/iptables-wrappers");
  set_alternatives = set_alternatives || has(w, "update-alternatives --set iptables");
  k3s = k3s || has(w, "xtables-set-mode.sh");
  threshold10 = threshold10 || has(w, "-ge 10");
}

WrapperKind classify_wrapper(const WrapperMarks& m, bool script, bool runs_both_saves,
                             bool named_wrapper) {
  if (!script) {
    // A compiled wrapper: the Go one carries its module path and message.
    // A compiled wrapper: the only compiled family is the Go one, known by
    // its module path, its relink message or its name.
    return m.go_module || m.relink_failure || named_wrapper ? WrapperKind::sigs_v3
                                                            : WrapperKind::none;
  }
  if (!runs_both_saves && !m.relink_failure) return WrapperKind::none;
  if (m.k3s) return WrapperKind::k3s_detect;
  if (m.hint) return WrapperKind::sigs_v2;  // of the shell families, only v2 looks for the hint
  if (m.relink_failure) return m.threshold10 ? WrapperKind::sigs_v1_timeout : WrapperKind::sigs_v1;
  if (m.set_alternatives) return WrapperKind::k8s_release;
  return WrapperKind::unknown;
}

}  // namespace iptmode
