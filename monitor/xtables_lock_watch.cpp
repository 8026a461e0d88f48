#include "monitor/xtables_lock_watch.h"

#include <fcntl.h>
#include <sys/fanotify.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace iptmode::monitor {

std::string lock_file_path() {
  const char* env = std::getenv("XTABLES_LOCKFILE");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultLockFile);
}

namespace {

std::unexpected<Error> init_failed(int e) {
  return fail(fmt::format("fanotify_init: {}{}", std::strerror(e),
                          e == EPERM ? " (fanotify needs CAP_SYS_ADMIN)" : ""),
              e);
}

}  // namespace

Result<LockWatch> LockWatch::open(const std::string& path) {
  LockWatch w;
  const unsigned flags = FAN_CLOEXEC | FAN_NONBLOCK;
  const unsigned event_flags = O_RDONLY | O_CLOEXEC;
  w.fd_.reset(::fanotify_init(FAN_CLASS_CONTENT | flags, event_flags));
  w.perm_ = static_cast<bool>(w.fd_);
  if (w.perm_ && ::fanotify_mark(w.fd_.get(), FAN_MARK_ADD, FAN_OPEN_PERM | FAN_CLOSE, AT_FDCWD,
                                 path.c_str()) == 0)
    return w;
  const int perm_errno = errno;
  if (perm_errno == ENOENT || perm_errno == EACCES)
    return fail(fmt::format("{}: fanotify_mark: {}", path, std::strerror(perm_errno)), perm_errno);
  // No permission events in this kernel: plain notifications.
  w.perm_ = false;
  w.fd_.reset(::fanotify_init(FAN_CLASS_NOTIF | flags, event_flags));
  if (!w.fd_) return init_failed(errno);
  if (::fanotify_mark(w.fd_.get(), FAN_MARK_ADD, FAN_OPEN | FAN_CLOSE, AT_FDCWD, path.c_str()) <
      0) {
    const int e = errno;
    return fail(fmt::format("{}: fanotify_mark: {}", path, std::strerror(e)), e);
  }
  return w;
}

Result<LockDrained> LockWatch::drain(const std::function<void(pid_t)>& on_open) {
  LockDrained out;
  alignas(fanotify_event_metadata) std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return errno_fail("fanotify read");
    }
    if (n == 0) break;
    auto len = static_cast<std::size_t>(n);
    const auto* m = reinterpret_cast<const fanotify_event_metadata*>(buf.data());
    for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
      if ((m->mask & FAN_Q_OVERFLOW) != 0) out.lost = true;
      if ((m->mask & (FAN_OPEN | FAN_OPEN_PERM)) != 0) on_open(m->pid);
      if ((m->mask & FAN_OPEN_PERM) != 0) {
        const fanotify_response allow{m->fd, FAN_ALLOW};
        // (gcc ignores a (void) cast on glibc's warn_unused_result.)
        [[maybe_unused]] const auto sent = ::write(fd_.get(), &allow, sizeof allow);
      }
      if ((m->mask & FAN_CLOSE) != 0) out.closes.push_back(m->pid);
      if (m->fd >= 0) ::close(m->fd);  // the event's own fd of the file: not wanted
    }
  }
  return out;
}

}  // namespace iptmode::monitor
