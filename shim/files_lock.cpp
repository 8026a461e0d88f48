// The lock half of shim/files.h: DIR/iptmode-shim.lock, waited for with a
// deadline, and its record of holder and last detection failure.
//
//   pid <holder's pid>
//   failed <CLOCK_BOOTTIME ns> <the refusal's text>     (only after a failure)
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "shim/files.h"
#include "shim/names.h"

namespace iptmode::shim {
namespace {

std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The line after `key ` in `rec`, without its newline; empty when absent.
std::string_view field(std::string_view rec, std::string_view key) {
  for (std::size_t at = 0; at < rec.size();) {
    std::size_t nl = rec.find('\n', at);
    if (nl == std::string_view::npos) nl = rec.size();
    std::string_view line = rec.substr(at, nl - at);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ')
      return line.substr(key.size() + 1);
    at = nl + 1;
  }
  return {};
}

template <class T>
bool leading_number(std::string_view& w, T& out) {
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
  if (ec != std::errc{}) return false;
  w.remove_prefix(static_cast<std::size_t>(p - w.data()));
  return true;
}

// /proc/<pid>/comm, for a message that names the holder.
void comm_of(long pid, char* out, std::size_t cap) {
  char path[48];
  (void)std::snprintf(path, sizeof path, "/proc/%ld/comm", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = ::read(fd, out, cap - 1);
  ::close(fd);
  if (n <= 0) return;
  out[n] = '\0';
  for (char* c = out; *c; ++c)
    if (*c == '\n' || static_cast<unsigned char>(*c) < 0x20) *c = '\0';
}

}  // namespace

int lock_wait_ms(const Settings& s) {
  return (s.detector_timeout + 2) * 1000;
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last fd releases the flock
}

LockStatus StateLock::take(int dirfd, int wait_ms) {
  const std::int64_t since = now_ns(CLOCK_BOOTTIME);
  const std::int64_t deadline = now_ns(CLOCK_MONOTONIC) + std::int64_t{wait_ms} * 1'000'000;
  int fd = ::openat(dirfd, kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    err_ = errno;
    return err_ == EROFS ? LockStatus::read_only : LockStatus::failed;
  }
  long backoff_us = 1000;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      err_ = errno;
      ::close(fd);
      return LockStatus::failed;
    }
    const std::int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
    if (left <= 0) {
      fd_ = fd;  // only to read the record; closed right after
      read_record(-1);
      fd_ = -1;
      ::close(fd);
      if (holder_ > 0) comm_of(holder_, holder_name_, sizeof holder_name_);
      return LockStatus::timed_out;
    }
    // A short, growing pause: a holder is usually done within milliseconds.
    const std::int64_t pause = std::min<std::int64_t>(backoff_us * 1000, left);
    timespec ts{static_cast<time_t>(pause / 1'000'000'000),
                static_cast<long>(pause % 1'000'000'000)};
    (void)::nanosleep(&ts, nullptr);
    backoff_us = std::min(backoff_us * 2, 50'000L);
  }
  fd_ = fd;
  read_record(since);
  write_record();
  return LockStatus::ok;
}

void StateLock::read_record(std::int64_t since_ns) {
  char buf[sizeof kept_ + 64];
  ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return;
  const std::string_view rec(buf, static_cast<std::size_t>(n));
  std::string_view pid = field(rec, "pid");
  if (!leading_number(pid, holder_)) holder_ = 0;
  std::string_view failed = field(rec, "failed");
  std::int64_t at = 0;
  std::string_view rest = failed;
  if (failed.empty() || !leading_number(rest, at) || rest.empty() || rest[0] != ' ') return;
  // Kept for whoever waits next, until a holder's detection succeeds.
  (void)std::snprintf(kept_, sizeof kept_, "failed %.*s\n", static_cast<int>(failed.size()),
                      failed.data());
  if (since_ns > 0 && at >= since_ns) {
    rest.remove_prefix(1);
    (void)std::snprintf(failure_, sizeof failure_, "%.*s", static_cast<int>(rest.size()),
                        rest.data());
  }
}

void StateLock::write_record() {
  char buf[sizeof kept_ + 32];
  int n = std::snprintf(buf, sizeof buf, "pid %ld\n%s", static_cast<long>(::getpid()), kept_);
  if (n < 0) return;
  const std::size_t len = std::min(static_cast<std::size_t>(n), sizeof buf - 1);
  // Best effort: the record only improves messages; the lock is the flock.
  // (gcc ignores a (void) cast on glibc's warn_unused_result.)
  if (::pwrite(fd_, buf, len, 0) == static_cast<ssize_t>(len)) {
    [[maybe_unused]] const int truncated = ::ftruncate(fd_, static_cast<off_t>(len));
  }
}

void StateLock::record_failure(const char* text) {
  if (fd_ < 0) return;
  kept_[0] = '\0';
  if (text) {
    int n = std::snprintf(kept_, sizeof kept_ - 1, "failed %lld %s",
                          static_cast<long long>(now_ns(CLOCK_BOOTTIME)), text);
    std::size_t len = n < 0 ? 0 : std::min(static_cast<std::size_t>(n), sizeof kept_ - 2);
    // One line: the record is read line by line.
    for (std::size_t i = 0; i < len; ++i)
      if (kept_[i] == '\n') kept_[i] = ' ';
    kept_[len] = '\n';
    kept_[len + 1] = '\0';
  }
  write_record();
}

}  // namespace iptmode::shim
