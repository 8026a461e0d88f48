// The decision: a pure function from evidence to the node's one mode. Steps,
// in order; the first that decides wins, and every step is recorded.
//   override       --mode, or mode= in the config file
//   hint           KUBE-IPTABLES-HINT / KUBE-KUBELET-CANARY: nft if nf_tables has one,
//                  else legacy if x_tables has one
//   rule-count     iptables rules (ip+ip6, filter/nat/mangle/raw/security): more wins
//   host-binary    the mode of the host's own iptables
//   kernel-default nft where nf_tables is available, else legacy
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mode.h"
#include "detect/evidence.h"

namespace iptmode {

enum class Rule { override_mode, hint, rule_count, host_binary, kernel_default };

// "override", "hint", "rule-count", "host-binary", "kernel-default".
std::string_view to_string(Rule r);

struct Reason {
  Rule rule;
  bool decided = false;
  std::optional<Mode> says;  // what this step would choose on its own, if anything
  std::string text;          // the evidence looked at, in one line
};

struct Decision {
  Mode mode = Mode::nft;
  Rule rule = Rule::kernel_default;
  std::vector<Reason> reasons;  // all five steps, in order
  // Hints in both backends; an override that overrules the evidence.
  std::vector<std::string> warnings;
};

struct Override {
  Mode mode;
  std::string source;  // "--mode" or the config file's path
};

Decision decide(const Evidence& ev, const std::optional<Override>& override_mode);

}  // namespace iptmode
