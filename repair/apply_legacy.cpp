#include "repair/apply_legacy.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <ranges>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "detect/iptc_traits.h"

namespace iptmode::repair {
namespace {

constexpr const char* kLockFile = "/run/xtables.lock";
constexpr int kLockWaitSeconds = 60;

using V4 = IptcV4;
using V6 = IptcV6;

// The table as libiptc sees it now still matches the plan's save.
template <class Ops>
bool still_as_planned(xtc_handle* h, const TablePlan& t) {
  for (const auto& c : t.chains)
    if (!Ops::is_chain(c.name.c_str(), h)) return false;
  for (const auto& j : t.jumps) {
    std::vector<std::string> targets;
    for (auto* e = Ops::first(j.chain.c_str(), h); e; e = Ops::next(e, h))
      targets.emplace_back(Ops::target(e, h));
    if (targets.size() != j.chain_rules || targets[j.index] != j.target) return false;
  }
  return true;
}

template <class Ops>
Result<void> change(xtc_handle* h, const TablePlan& t) {
  auto bad = [&](std::string_view what, const std::string& name) {
    return fail(fmt::format("x_tables {} {}: {} {}: {}", t.family, t.table, what, name,
                            Ops::strerror(errno)));
  };
  // Highest position first, so the others keep theirs.
  for (const auto& j : std::views::reverse(t.jumps))
    if (!Ops::delete_num(j.chain.c_str(), static_cast<unsigned>(j.index), h))
      return bad("delete rule in", j.chain);
  for (const auto& c : t.chains)
    if (!Ops::flush(c.name.c_str(), h)) return bad("flush", c.name);
  for (const auto& c : t.chains)
    if (!Ops::delete_chain(c.name.c_str(), h)) return bad("delete chain", c.name);
  return {};
}

struct Handle {
  xtc_handle* h = nullptr;
  void (*free)(xtc_handle*) = nullptr;
  Handle(xtc_handle* raw, void (*f)(xtc_handle*)) : h(raw), free(f) {}
  Handle(Handle&& o) noexcept : h(std::exchange(o.h, nullptr)), free(o.free) {}
  Handle(const Handle&) = delete;
  ~Handle() {
    if (h) free(h);
  }
};

template <class Ops>
Result<std::optional<Handle>> prepare(const TablePlan& t) {
  Handle h(Ops::init(t.table.c_str()), Ops::free);
  if (!h.h)
    return fail(fmt::format("x_tables {} {}: {}", t.family, t.table, Ops::strerror(errno)), errno);
  if (!still_as_planned<Ops>(h.h, t)) return std::optional<Handle>{};
  if (auto r = change<Ops>(h.h, t); !r) return std::unexpected(r.error());
  return std::optional<Handle>(std::move(h));
}

void on_alarm(int) {}

}  // namespace

XtablesLock::~XtablesLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<XtablesLock> take_xtables_lock() {
  XtablesLock l;
  l.fd_ = ::open(kLockFile, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (l.fd_ < 0) return errno_fail(kLockFile);
  // An alarm interrupts the wait: bounded, without polling.
  struct sigaction sa {
  }, old{};
  sa.sa_handler = on_alarm;
  ::sigaction(SIGALRM, &sa, &old);
  itimerval t{{0, 0}, {kLockWaitSeconds, 0}}, off{};
  ::setitimer(ITIMER_REAL, &t, nullptr);
  const int r = ::flock(l.fd_, LOCK_EX);
  const int e = errno;
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &old, nullptr);
  if (r != 0)
    return fail(fmt::format("{}: {} (another iptables held it for {} s; try again)", kLockFile,
                            std::strerror(e == EINTR ? ETIMEDOUT : e), kLockWaitSeconds),
                e);
  return l;
}

Result<Applied> apply_legacy(const Plan& p) {
  auto lock = take_xtables_lock();
  if (!lock) return std::unexpected(lock.error());
  struct Prepared {
    Handle h;
    bool v6;
  };
  std::vector<Prepared> ready;
  for (const auto& t : p.tables) {
    const bool v6 = t.family == "ip6";
    auto h = v6 ? prepare<V6>(t) : prepare<V4>(t);
    if (!h) return std::unexpected(h.error());
    if (!*h) return Applied::changed;
    ready.push_back({std::move(**h), v6});
  }
  for (std::size_t i = 0; i < ready.size(); ++i) {
    const int ok = ready[i].v6 ? V6::commit(ready[i].h.h) : V4::commit(ready[i].h.h);
    if (!ok)
      return fail(fmt::format("x_tables {} {}: commit: {}{}", p.tables[i].family, p.tables[i].table,
                              ready[i].v6 ? V6::strerror(errno) : V4::strerror(errno),
                              i ? " (the tables before it were committed)" : ""));
  }
  return Applied::yes;
}

}  // namespace iptmode::repair
