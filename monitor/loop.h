// The monitor's one event loop: epoll over the nf_tables notification socket,
// the xtables lock's fanotify fd, a signalfd (SIGTERM/SIGINT end it, SIGUSR1
// runs the periodic check now) and a timerfd (the periodic check every
// --interval). Nothing polls faster than the interval; idle, it sleeps in
// epoll_wait. Read-only.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"
#include "core/mode.h"
#include "detect/components.h"
#include "detect/kernel.h"
#include "monitor/event.h"
#include "monitor/nft_events.h"
#include "monitor/xtables_lock_watch.h"

namespace iptmode::monitor {

// The default socket buffer for notifications: a 100,000-rule restore
// notifies ~30 MiB in one burst; past the buffer the kernel drops them (a
// re-read follows).
inline constexpr int kDefaultRcvbuf = 64 * 1024 * 1024;

// After lost notifications, the quiet spell that ends the burst when its
// NEWGEN was lost too.
inline constexpr std::chrono::milliseconds kSettleQuiet{100};

struct MonitorOptions {
  std::chrono::milliseconds interval{10000};
  int rcvbuf = kDefaultRcvbuf;
  std::string lock_file;   // empty: lock_file_path()
  std::string prometheus;  // textfile; empty: none
};

// What the start's detection saw: the decided mode, both backends (with rule
// counts) and the components found, with the names looked for.
struct Baseline {
  Mode mode = Mode::nft;
  BackendState nft;
  BackendState legacy;
  std::vector<std::string> component_names;
  std::vector<Component> components;
};

using Emit = std::function<void(const Event&)>;

class Runner;

class Monitor {
 public:
  // Blocks the signals and subscribes, before anything is read, so that no
  // change and no SIGTERM between the start's read and the loop is lost.
  // Fails when nf_tables notifications cannot be subscribed to. The lock
  // watch may fail (no file, no CAP_SYS_ADMIN): the loop says so and relies
  // on the periodic check, retrying the watch at each.
  static Result<Monitor> open(const MonitorOptions& opts);

  // Follows changes until SIGTERM or SIGINT; fails only on a broken loop
  // (epoll, a backend that can no longer be read).
  Result<void> run(const Baseline& base, const Emit& emit);

 private:
  // One ready source; true when the loop is to stop.
  Result<bool> handle(std::uint64_t tag, int ep, Runner& r);
  Result<bool> resync(Runner& r);

  MonitorOptions opts_;
  std::string lock_path_;
  std::optional<NftEvents> nft_;
  std::optional<LockWatch> lock_;
  std::string lock_note_;  // why the lock is not watched
  UniqueFd signal_fd_;
  UniqueFd timer_fd_;
  UniqueFd settle_fd_;  // one-shot: the quiet spell after a loss
};

}  // namespace iptmode::monitor
