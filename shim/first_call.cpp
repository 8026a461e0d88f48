#include "shim/first_call.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "shim/detector.h"
#include "shim/message.h"
#include "shim/names.h"

namespace iptmode::shim {
namespace {

// Runs the detector and parses its answer; on failure `why` says what went
// wrong (one line, with the fix) and false is returned.
bool detect(const Place& at, const Settings& settings, State& out, char* why, std::size_t cap) {
  const char* detector = settings.detector;
  int fd = ::open(detector, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    format_line(why, cap,
                "%s/%s: missing, and the detector %s: %s; run `iptmode detect --write "
                "--bin-dir %s`",
                at.dir, kStateFile, detector, std::strerror(errno), at.dir);
    return false;
  }
  // The fd that was checked is the one run (execveat), as for the backend.
  if (Trust t = check_trusted(fd); t != Trust::ok) {
    format_line(why, cap, "%s: %s; %s", detector, describe(t), fix_for(t));
    ::close(fd);
    return false;
  }
  char buf[kStateMax];
  const DetectorRun run = run_detector(fd, settings.detector_timeout, buf, sizeof buf);
  ::close(fd);
  if (run.kind != DetectorRun::ok) {
    char what[96];
    describe(run, settings.detector_timeout, what, sizeof what);
    format_line(why, cap,
                "%s/%s: missing or damaged, and `%s detect` %s; run `iptmode detect "
                "--write --bin-dir %s` to see why",
                at.dir, kStateFile, detector, what, at.dir);
    return false;
  }
  // The detector's answer is checked like the file: nothing unparsed is trusted.
  if (parse_state(std::string_view(buf, run.len), out) != StateError::none) {
    format_line(why, cap,
                "%s detect --print-state printed no valid state; is %s an "
                "iptmode binary?",
                detector, detector);
    return false;
  }
  return true;
}

State detect_or_refuse(const Place& at, const Settings& settings, StateLock* lock) {
  State s;
  char why[400];
  if (!detect(at, settings, s, why, sizeof why)) {
    if (lock) lock->record_failure(why);
    refuse("%s", why);
  }
  return s;
}

[[noreturn]] void refuse_lock(const Place& at, const Settings& settings, const StateLock& lock,
                              LockStatus st) {
  if (st == LockStatus::timed_out)
    refuse(
        "%s/%s: still held after %d s by pid %ld (%s); a caller is stopped or stuck in "
        "detection: resume or kill it",
        at.dir, kLockFile, lock_wait_ms(settings) / 1000, lock.holder(),
        lock.holder() ? (lock.holder_name()[0] ? lock.holder_name() : "no longer running")
                      : "no pid recorded");
  refuse("%s/%s: %s; the shim's directory must be writable by root", at.dir, kLockFile,
         std::strerror(lock.error()));
}

}  // namespace

State ensure_state(const Place& at, const Settings& settings) {
  StateLock lock;
  const LockStatus st = lock.take(at.dirfd, lock_wait_ms(settings));
  if (st == LockStatus::read_only) {
    // Nothing can be recorded, and nobody else can record either: decide
    // for this call alone, as when the disk is full.
    State s = detect_or_refuse(at, settings, nullptr);
    warn(
        "%s: read-only file system; the decision is not recorded, so every call detects: run "
        "`iptmode detect --write` where %s is writable",
        at.dir, at.dir);
    return s;
  }
  if (st != LockStatus::ok) refuse_lock(at, settings, lock, st);
  // The detection this call waited for failed: the same would fail again.
  if (lock.failure()) refuse("%s (the detection this call waited for)", lock.failure());
  State s;
  const StateRead r = read_state(at.dirfd, s);
  if (r.load == Load::ok) return s;  // another caller made it while we waited
  if (r.load == Load::untrusted) {
    char why[512];
    refusal(r, at.dir, why, sizeof why);
    refuse("%s", why);
  }
  s = detect_or_refuse(at, settings, &lock);
  lock.record_failure(nullptr);
  if (int err = write_state(at.dirfd, lock, s)) {
    if (err == EROFS)
      warn("%s: read-only file system; the decision is not recorded, so every call detects",
           at.dir);
    else
      warn("%s/%s: could not record the decision: %s", at.dir, kStateFile, std::strerror(err));
  }
  return s;
}

void remember_cache(const Place& at, Mode mode, const CacheEntry& entry) {
  if (::geteuid() != 0) return;  // only root may write the state
  // A second at most: the cache saves a scan next time, it is not worth a wait.
  StateLock lock;
  if (lock.take(at.dirfd, 1000) != LockStatus::ok) return;
  (void)record_cache(at.dirfd, lock, mode, entry);
}

}  // namespace iptmode::shim
