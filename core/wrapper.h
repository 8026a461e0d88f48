// Which iptables wrapper a file is, from its bytes: each family decides
// legacy-or-nft by its own algorithm (audit/wrapper_prediction.h predicts
// them; docs/detect.md, "Wrappers", gives each one's source). The marks are
// gathered by BinaryScanner as it reads, so this allocates nothing either.
#pragma once

#include <string_view>

namespace iptmode {

enum class WrapperKind {
  none,             // not a wrapper
  sigs_v1,          // kubernetes-sigs/iptables-wrappers v1 (shell): more rules, a tie to legacy
  sigs_v1_timeout,  // v1 as written for iptables 1.8.3: 10 legacy rules decide legacy first
  sigs_v2,          // v2 (shell): the hints, else more rules (a tie to nft)
  sigs_v3,          // v3 (Go binary): the hints, else nft
  k8s_release,      // kubernetes/release debian-iptables `iptables-wrapper`: rules, a tie to legacy
  k3s_detect,       // k3s-root iptables-detect.sh: IPTABLES_MODE, rules, then fallbacks
  unknown,          // runs both backends' saves, by an algorithm we do not know: no prediction
};

std::string_view to_string(WrapperKind k);

// What a window of a wrapper's bytes says. note() may see a string twice
// (windows overlap): every mark is a flag.
struct WrapperMarks {
  bool relink_failure = false;    // "Unable to redirect iptables binaries" (sigs v1, v2, v3)
  bool hint = false;              // looks for KUBE-IPTABLES-HINT (sigs v2, v3)
  bool go_module = false;         // the Go wrapper's module path
  bool set_alternatives = false;  // "update-alternatives --set iptables"
  bool k3s = false;               // hands the choice to xtables-set-mode.sh
  bool threshold10 = false;       // a legacy count compared with "-ge 10"
  void note(std::string_view window);
};

// `script`: the file starts with "#!". `runs_both_saves`: it names both
// iptables-legacy-save and iptables-nft-save.
// `named_wrapper`: it names "iptables-wrapper".
WrapperKind classify_wrapper(const WrapperMarks& m, bool script, bool runs_both_saves,
                             bool named_wrapper);

}  // namespace iptmode
