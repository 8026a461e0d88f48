// What a wrapper that has not run yet will pick on this kernel state, each
// family by its own algorithm (docs/detect.md, "Wrappers", names the upstream
// revision each models), and whether it can relink at all. Prediction is a
// pure function of the inputs; gathering them reads the component's root.
#pragma once

#include <optional>
#include <string>

#include "core/mode.h"
#include "core/wrapper.h"
#include "detect/components.h"
#include "detect/kernel.h"

namespace iptmode {

// What k3s-root's iptables-detect.sh reads besides the rules.
struct WrapperInputs {
  std::optional<std::string> iptables_mode;  // IPTABLES_MODE in its environment, when non-empty
  std::optional<bool> containerized;         // PID 1's cpuset cgroup has a path; unset: unknown
  std::optional<std::string> alternatives;   // /etc/alternatives/iptables's target in its root
  std::string os_id;                         // as its os_detect names it, lower case
  std::optional<int> os_major;               // /etc/debian_version or VERSION_ID, major
};

struct WrapperPrediction {
  std::optional<Mode> mode;  // unset: it cannot be predicted
  std::string why;           // the step that decides, one phrase
};

WrapperPrediction predict_wrapper(WrapperKind kind, const KernelState& k, const WrapperInputs& in);

// What happens to each call when the wrapper cannot relink (one phrase),
// and whether every call then fails (the shell families, measured against
// the real scripts in tests/test_real_wrappers.cpp) rather than re-detecting.
std::string_view relink_failure_effect(WrapperKind kind);
bool relink_failure_breaks_calls(WrapperKind kind);

// The inputs above, read from /proc/PID and the component's root. Missing
// files leave their field unset or empty.
WrapperInputs gather_wrapper_inputs(const Component& c, const std::string& proc = "/proc");

// True when a directory the wrapper rewrites a link in (each link's
// directory on the way to it: /usr/sbin, /etc/alternatives) is on a
// read-only mount in the component's mount namespace.
bool wrapper_cannot_relink(const Component& c, const std::string& proc = "/proc");

}  // namespace iptmode
