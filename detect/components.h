// The processes that write the packet filter, grouped by mount namespace,
// and the `iptables` each would run.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/binary.h"
#include "core/error.h"
#include "detect/budget.h"
#include "detect/in_root.h"
#include "detect/procfs.h"

namespace iptmode {

// "k3s" is a k3s server or agent process, which hosts kubelet, kube-proxy,
// the network policy controller and flannel (hosted_by_k3s).
inline constexpr std::string_view kDefaultComponents[] = {
    "kubelet", "kube-proxy", "kube-router", "calico-node", "flanneld", "k3s"};

// What `name` (e.g. "iptables") means inside a root on a PATH: the file it
// resolves to and what that file is. Errors (not found, unreadable) are kept
// in `note`; nothing is run.
struct BinaryEvidence {
  std::string path_var;              // the PATH searched
  std::optional<Resolved> resolved;  // unset when not found
  std::optional<BinaryInfo> info;    // unset when not readable
  std::string note;                  // what went wrong, one line
  bool over_budget = false;          // the lookup stopped on its budget, not on an answer
};
BinaryEvidence inspect_binary(int root_fd, std::string_view path_var, std::string_view name,
                              Budget* budget = nullptr);

// Whether a process is the component `name`: its comm (when the name fits in
// comm's 15 bytes), else the base name of its exe or argv[0].
bool process_is_named(const ProcessInfo& p, std::string_view name);

// Whether a component's binary was read. Only `done` components are evidence
// of a writer: an unprivileged process named kube-proxy cannot write the
// packet filter, and one whose lookup blew its budget is not known.
enum class Inspection { done, over_budget, unprivileged };
std::string_view to_string(Inspection i);  // "done", "over-budget", "unprivileged"

struct Component {
  std::string name;
  // The process that runs it when that is not its own ("k3s"): its pids,
  // argv, environ and iptables are the host's.
  std::string host;
  std::vector<int> pids;
  std::uint64_t mount_ns = 0;
  std::uint64_t net_ns = 0;
  bool in_own_netns = false;  // shares the network namespace iptmode runs in
  bool path_from_environ = false;
  std::vector<std::string> argv;          // of the first pid; k3s's with its config's flags
  std::vector<std::string> config_files;  // k3s: the config files its argv includes
  std::string config_note;                // k3s: a config file that could not be read
  std::vector<std::string> environ;       // of the first pid; empty when hidden
  BinaryEvidence iptables;
  Inspection inspection = Inspection::done;
  std::string privilege;  // why it can (or cannot) write the packet filter, one line
};

// How much a scan may spend on looking binaries up (detect/budget.h): all
// components together, and each one.
struct ScanLimits {
  std::chrono::milliseconds scan_time = kScanTime;
  long scan_steps = kScanSteps;
  std::chrono::milliseconds component_time = kComponentTime;
  long component_steps = kComponentSteps;
};

// What a k3s process runs inside itself (k3s-io/k3s pkg/agent, pkg/daemons):
// kubelet; kube-proxy unless --disable-kube-proxy; kube-router's network
// policy controller unless --disable-network-policy; flannel unless
// --flannel-backend=none. Each a Component with host "k3s". Its argv holds
// the flags of its config.yaml too (detect/k3s_config.h).
std::vector<Component> hosted_by_k3s(const Component& k3s);

// The PATH k3s gives what it runs (k3s-io/k3s cmd/k3s/main.go stageAndRun):
// <data-dir>/data/current/bin, the host's PATH, then bin/aux; aux before the
// host's PATH with --prefer-bundled-bin. The data dir: --data-dir or -d, else
// /var/lib/rancher/k3s.
std::string k3s_data_dir(const std::vector<std::string>& argv);
std::string k3s_path(const std::vector<std::string>& argv, std::string_view host_path);

// Finds processes whose comm, exe or argv[0] is one of `names`, one Component
// per (name, mount namespace, privilege). Processes that exit mid-scan are
// skipped. Unprivileged ones are listed, not inspected; the lookups of the
// others spend on `limits`, and a component that blows them is listed as
// over-budget while the scan goes on with the next.
Result<std::vector<Component>> scan_components(const std::vector<std::string>& names,
                                               const std::string& proc = "/proc",
                                               const ScanLimits& limits = {});

}  // namespace iptmode
