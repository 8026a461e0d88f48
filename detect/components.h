// The processes that write the packet filter, grouped by mount namespace,
// and the `iptables` each would run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/binary.h"
#include "core/error.h"
#include "detect/in_root.h"

namespace iptmode {

inline constexpr std::string_view kDefaultComponents[] = {"kubelet", "kube-proxy", "kube-router",
                                                          "calico-node"};

// What `name` (e.g. "iptables") means inside a root on a PATH: the file it
// resolves to and what that file is. Errors (not found, unreadable) are kept
// in `note`; nothing is run.
struct BinaryEvidence {
  std::string path_var;              // the PATH searched
  std::optional<Resolved> resolved;  // unset when not found
  std::optional<BinaryInfo> info;    // unset when not readable
  std::string note;                  // what went wrong, one line
};
BinaryEvidence inspect_binary(int root_fd, std::string_view path_var, std::string_view name);

struct Component {
  std::string name;
  std::vector<int> pids;
  std::uint64_t mount_ns = 0;
  std::uint64_t net_ns = 0;
  bool in_own_netns = false;  // shares the network namespace iptmode runs in
  bool path_from_environ = false;
  std::vector<std::string> argv;     // of the first pid
  std::vector<std::string> environ;  // of the first pid; empty when hidden
  BinaryEvidence iptables;
};

// Finds processes whose comm, exe or argv[0] is one of `names`, one Component
// per (name, mount namespace). Processes that exit mid-scan are skipped.
Result<std::vector<Component>> scan_components(const std::vector<std::string>& names,
                                               const std::string& proc = "/proc");

}  // namespace iptmode
