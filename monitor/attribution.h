// Who a pid is: its comm, exe, mount namespace and container root, and the
// component it belongs to, by the audit's discovery (detect/components.h:
// comm, exe or argv[0] names a component), tried on the process itself, then
// on its parents (kube-proxy runs iptables-restore as its child), then by its
// mount namespace (an iptables run inside a component's container). Read as
// soon as the pid is known, since writers are short-lived; a pid that is
// gone says so, and a zombie (exited, not yet reaped) is attributed through
// its parent. The cache of pids is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "detect/components.h"
#include "monitor/event.h"

namespace iptmode::monitor {

inline constexpr std::size_t kMaxRememberedPids = 4096;
// Parents looked at above a writer.
inline constexpr int kMaxAncestors = 8;
// An unknown mount namespace rescans /proc for components at most this often.
inline constexpr std::chrono::milliseconds kRescanEvery{1000};

class Attribution {
 public:
  // `names`: the components to look for; `known`: those found at start
  // (their mount namespaces). `proc`: where /proc is.
  Attribution(std::vector<std::string> names, const std::vector<Component>& known,
              const std::string& proc = "/proc");

  // Reads the pid now and remembers it.
  const Writer& resolve(pid_t pid);
  // The remembered writer when its comm matches `comm` (empty: any), else
  // resolve(); a pid that is gone gives `comm` and exited.
  Writer lookup(pid_t pid, std::string_view comm);

  std::size_t remembered() const { return cache_.size(); }

 private:
  std::string component_of(const ProcessInfo& p, std::string& via);
  std::string named(const ProcessInfo& p) const;
  void gone(pid_t pid, Writer& w);
  void rescan();

  std::vector<std::string> names_;
  std::map<std::uint64_t, std::string> by_mount_ns_;
  UniqueFd proc_fd_;
  std::map<pid_t, Writer> cache_;
  std::deque<pid_t> order_;
  std::chrono::steady_clock::time_point last_rescan_{};
};

// The parent pid in /proc/PID/stat's text (after the last ')'); 0 when malformed.
pid_t parse_ppid(std::string_view stat);

}  // namespace iptmode::monitor
