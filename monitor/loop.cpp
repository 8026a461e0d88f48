#include "monitor/loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <fmt/format.h>

#include "audit/textfile.h"
#include "detect/legacy_reader.h"
#include "detect/nft_reader.h"
#include "monitor/attribution.h"
#include "monitor/metrics.h"
#include "monitor/table_state.h"
#include "monitor/verdict.h"

namespace iptmode::monitor {
namespace {

// Ready sources are handled in descending order of tag (see run).
enum Tag : std::uint64_t { kSignal = 1, kNft = 2, kSettle = 3, kLock = 4, kTimer = 5 };

// The highest pid Linux hands out (PID_MAX_LIMIT): a netlink port id above
// it was not autobound to a pid.
constexpr std::uint32_t kPidMaxLimit = 4 * 1024 * 1024;

Result<UniqueFd> open_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return errno_fail("sigprocmask");
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd) return errno_fail("signalfd");
  return fd;
}

// `every` 0 disarms; `repeat` false: once.
Result<void> arm(int fd, std::chrono::milliseconds every, bool repeat) {
  itimerspec spec{};
  spec.it_value.tv_sec = every.count() / 1000;
  spec.it_value.tv_nsec = (every.count() % 1000) * 1000000;
  if (repeat) spec.it_interval = spec.it_value;
  if (::timerfd_settime(fd, 0, &spec, nullptr) < 0) return errno_fail("timerfd_settime");
  return {};
}

Result<UniqueFd> open_timer(std::chrono::milliseconds every, bool repeat) {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!fd) return errno_fail("timerfd_create");
  if (auto a = arm(fd.get(), every, repeat); !a) return std::unexpected(a.error());
  return fd;
}

}  // namespace

// One run's state: what is remembered of both backends, who wrote, metrics.
class Runner {
 public:
  Runner(const MonitorOptions& opts, const Baseline& base, const Emit& emit)
      : opts_(opts),
        mode_(base.mode),
        emit_(emit),
        who_(base.component_names, base.components),
        nft_(from_backend(base.nft)),
        legacy_(from_backend(base.legacy)) {}

  Result<void> write_metrics() {
    if (opts_.prometheus.empty()) return {};
    return write_textfile(opts_.prometheus, metrics_.text());
  }

  void transaction(const NftTransaction& tx) {
    const Writer w = who_.lookup(tx.pid, tx.comm);
    for (std::size_t i = 0; i < tx.changes.size(); ++i) {
      apply(nft_, tx.changes[i]);
      write(Mode::nft, tx.changes[i], w, Source::netlink, tx.generation,
            i < tx.foreign.size() ? tx.foreign[i] : ForeignAdded{});
    }
    // More changes than one transaction itemises: the rest from a re-read.
    if (tx.more > 0)
      if (auto now = read_nft(true))
        changes(Mode::nft, nft_, from_backend(*now), w, Source::netlink);
  }

  void first_message(std::uint32_t portid) {
    if (portid < kPidMaxLimit) (void)who_.resolve(static_cast<pid_t>(portid));
  }

  void lock_opened(pid_t pid) { (void)who_.resolve(pid); }
  void lock_closed(pid_t pid) { legacy_check(who_.lookup(pid, ""), Source::lock); }

  void legacy_check(const Writer& w, Source s) {
    auto now = read_legacy();
    if (!now) {
      notice(EventKind::watch, "x_tables could not be read: " + now.error().message);
      return;
    }
    changes(Mode::legacy, legacy_, from_backend(*now), w, s);
  }

  Result<void> resync(std::string_view why) {
    auto n = read_nft(true);
    if (!n) return std::unexpected(n.error());
    auto l = read_legacy();
    if (!l) return std::unexpected(l.error());
    TableState nft_now = from_backend(*n), legacy_now = from_backend(*l);
    Event e = base_event(EventKind::resync);
    e.nft_rules = rule_total(nft_now);
    e.legacy_rules = rule_total(legacy_now);
    e.text = fmt::format("{}: both backends read again; iptables rules now: nft {}, legacy {}", why,
                         *e.nft_rules, *e.legacy_rules);
    emit_(e);
    changes(Mode::nft, nft_, std::move(nft_now), {}, Source::resync);
    changes(Mode::legacy, legacy_, std::move(legacy_now), {}, Source::resync);
    return {};
  }

  void notice(EventKind k, std::string text) {
    Event e = base_event(k);
    e.text = std::move(text);
    emit_(e);
  }

 private:
  Event base_event(EventKind k) const {
    Event e;
    e.kind = k;
    e.time_us = now_us();
    e.mode = mode_;
    return e;
  }

  void changes(Mode backend, TableState& was, TableState now, const Writer& w, Source s) {
    for (const auto& c : diff(was, now)) write(backend, c, w, s, std::nullopt);
    was = std::move(now);
  }

  void write(Mode backend, const Change& c, const Writer& w, Source s,
             std::optional<std::uint32_t> gen, const ForeignAdded& foreign = {}) {
    Event e = base_event(EventKind::write);
    e.backend = backend;
    e.family = c.family;
    e.table = c.table;
    e.chain = c.chain;
    e.op = c.op;
    e.rules_added = c.added;
    e.rules_deleted = c.deleted;
    e.iptables_table = backend == Mode::legacy || is_xtables_nft_table(c.family, c.table);
    e.foreign = foreign.worst;
    e.foreign_rules = foreign.rules;
    e.generation = gen;
    e.source = s;
    e.writer = w;
    e.verdict = verdict(mode_, e);
    // The textfile first: whoever reads the line finds the metric already counted.
    std::string failed;
    if (e.verdict == Verdict::wrong_backend && !opts_.prometheus.empty()) {
      metrics_.count(e);
      if (auto r = write_metrics(); !r) failed = r.error().message;
    }
    emit_(e);
    if (!failed.empty()) notice(EventKind::watch, "prometheus textfile not written: " + failed);
  }

  const MonitorOptions& opts_;
  Mode mode_;
  const Emit& emit_;
  Attribution who_;
  TableState nft_;
  TableState legacy_;
  WrongBackendMetrics metrics_;
};

Result<Monitor> Monitor::open(const MonitorOptions& opts) {
  Monitor m;
  m.opts_ = opts;
  auto sig = open_signals();
  if (!sig) return std::unexpected(sig.error());
  m.signal_fd_ = std::move(*sig);
  auto nft = NftEvents::open(opts.rcvbuf);
  if (!nft) return std::unexpected(nft.error());
  m.nft_.emplace(std::move(*nft));
  m.lock_path_ = opts.lock_file.empty() ? lock_file_path() : opts.lock_file;
  if (auto w = LockWatch::open(m.lock_path_)) {
    m.lock_.emplace(std::move(*w));
  } else {
    m.lock_note_ = w.error().message;
  }
  auto timer = open_timer(opts.interval, true);
  if (!timer) return std::unexpected(timer.error());
  m.timer_fd_ = std::move(*timer);
  auto settle = open_timer(std::chrono::milliseconds(0), false);
  if (!settle) return std::unexpected(settle.error());
  m.settle_fd_ = std::move(*settle);
  return m;
}

namespace {

Result<void> watch_fd(int ep, int fd, Tag tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) return errno_fail("epoll_ctl");
  return {};
}

std::string watch_text(const std::string& lock, const std::optional<LockWatch>& w,
                       const std::string& note, std::chrono::milliseconds every) {
  std::string s = "nf_tables notifications (NFNLGRP_NFTABLES); ";
  s += w ? fmt::format("x_tables lock {} (fanotify{})", lock,
                       w->holds_opens() ? ", each open held until its writer is read" : "")
         : fmt::format("x_tables lock {} not watched ({}): periodic check only", lock, note);
  return s + fmt::format("; periodic check every {} ms (SIGUSR1: now)", every.count());
}

}  // namespace

Result<bool> Monitor::resync(Runner& r) {
  if (auto s = r.resync("nf_tables notifications lost (ENOBUFS)"); !s)
    return std::unexpected(s.error());
  return false;
}

Result<bool> Monitor::handle(std::uint64_t tag, int ep, Runner& r) {
  switch (tag) {
    case kSignal: {
      signalfd_siginfo si{};
      while (::read(signal_fd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGUSR1) {
          r.legacy_check({}, Source::periodic);
          continue;
        }
        r.notice(EventKind::stop, fmt::format("signal {}: stopping", si.ssi_signo));
        return true;
      }
      return false;
    }
    case kTimer: {
      std::uint64_t ticks = 0;
      // The count is not needed; an empty read changes nothing.
      [[maybe_unused]] const auto got = ::read(timer_fd_.get(), &ticks, sizeof ticks);
      if (!lock_)
        if (auto w = LockWatch::open(lock_path_)) {
          lock_.emplace(std::move(*w));
          if (auto a = watch_fd(ep, lock_->fd(), kLock); !a) return std::unexpected(a.error());
          lock_note_.clear();
          r.notice(EventKind::watch, watch_text(lock_path_, lock_, lock_note_, opts_.interval));
        }
      r.legacy_check({}, Source::periodic);
      return false;
    }
    case kLock: {
      auto d = lock_->drain([&](pid_t pid) { r.lock_opened(pid); });
      if (!d) return std::unexpected(d.error());
      for (pid_t pid : d->closes) r.lock_closed(pid);
      if (d->lost) r.legacy_check({}, Source::periodic);
      return false;
    }
    case kNft: {
      auto d = nft_->drain([&](std::uint32_t portid) { r.first_message(portid); });
      if (!d) return std::unexpected(d.error());
      for (const auto& tx : d->done) r.transaction(tx);
      // A loss: one re-read once the burst is over, or after a quiet spell
      // (its NEWGEN may be lost too). Each new datagram restarts the spell.
      if (d->settled || d->discarding) {
        const auto spell = d->settled ? std::chrono::milliseconds(0) : kSettleQuiet;
        if (auto a = arm(settle_fd_.get(), spell, false); !a) return std::unexpected(a.error());
      }
      if (d->settled) return resync(r);
      return false;
    }
    case kSettle: {
      std::uint64_t ticks = 0;
      [[maybe_unused]] const auto got = ::read(settle_fd_.get(), &ticks, sizeof ticks);
      nft_->settle();
      return resync(r);
    }
    default:
      return false;
  }
}

Result<void> Monitor::run(const Baseline& base, const Emit& emit) {
  Runner r(opts_, base, emit);
  if (auto m = r.write_metrics(); !m) return m;
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return errno_fail("epoll_create1");
  for (auto [fd, tag] : {std::pair{nft_->fd(), kNft}, std::pair{signal_fd_.get(), kSignal},
                         std::pair{timer_fd_.get(), kTimer}, std::pair{settle_fd_.get(), kSettle}})
    if (auto w = watch_fd(ep.get(), fd, tag); !w) return w;
  if (lock_)
    if (auto w = watch_fd(ep.get(), lock_->fd(), kLock); !w) return w;
  r.notice(EventKind::watch, watch_text(lock_path_, lock_, lock_note_, opts_.interval));

  std::array<epoll_event, 8> ready{};
  for (;;) {
    const int n = ::epoll_wait(ep.get(), ready.data(), static_cast<int>(ready.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_fail("epoll_wait");
    }
    // The lock's events before nf_tables': a legacy write that ended before
    // an nf_tables one keeps its place in the stream. Signals last.
    for (Tag tag : {kTimer, kLock, kSettle, kNft, kSignal})
      for (int i = 0; i < n; ++i) {
        if (ready[static_cast<std::size_t>(i)].data.u64 != tag) continue;
        auto stop = handle(tag, ep.get(), r);
        if (!stop) return std::unexpected(stop.error());
        if (*stop) return {};
      }
  }
}

}  // namespace iptmode::monitor
