// The shim's files in its directory (state, settings, lock): read, checked,
// locked and written one way, for everyone. The shim on every call, `iptmode
// detect --write` and `--print-state`, `iptmode shim`, the audit, the tests
// and the fuzzers all call this module, so what it refuses is what the shim
// refuses and nothing else reads or writes these files. Status returns,
// nothing allocates: the static shim runs it on its fast path.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "shim/settings.h"
#include "shim/state.h"

namespace iptmode::shim {

// ---------------------------------------------------------------- trust

// Files the shim trusts: root-owned regular files that neither group nor
// others can write. Anything else could steer what every iptables call on
// the node runs.
enum class Trust { ok, missing, not_regular, not_root, writable, too_large, io };

// Checks an open file (fstat).
Trust check_trusted(int fd, struct stat* st_out = nullptr);

// Opens `name` under `dirfd` without following a final link or blocking on
// a FIFO, checks it, and reads at most `cap` bytes (a longer file is too_large).
Trust read_trusted(int dirfd, const char* name, char* buf, std::size_t cap, std::size_t* len);

// "not owned by root"; the fix, e.g. "chmod go-w it".
const char* describe(Trust t);
const char* fix_for(Trust t);

// A directory the shim trusts: root's, and neither group nor others may write it.
bool dir_trusted(const struct stat& st);

// ---------------------------------------------------------------- writing

// The temporary a writer puts beside `name` and renames over it:
// ".NAME.tmp.PID", the pid's own so two writers never share one, the one
// spelling for write_atomic and `iptmode shim`'s links and staged files
// (packaging's removal scripts match .iptmode.prom.tmp.*). Written into
// `out` NUL-terminated; false when it is longer than a file name can be
// (NAME_MAX) or than `cap` holds.
bool temp_name(const char* name, char* out, std::size_t cap);

// Replaces `name` whole: a temporary beside it, fsync, rename over the old
// one, fsync of the directory. A crash leaves the old file or the new one,
// never a torn one. `dirfd` must be open for reading (O_RDONLY |
// O_DIRECTORY) so it can be fsynced. `times`, when given, is the new file's
// access and modification time, as futimens takes them (two, to the
// nanosecond: k0s's stage check compares the mtime with Go's Time.Equal).
// Returns 0, or the errno that stopped it (the old file stays).
int write_atomic(int dirfd, const char* name, const char* data, std::size_t len, mode_t mode,
                 const struct timespec* times = nullptr);

// ---------------------------------------------------------------- state

enum class Load { ok, missing, damaged, untrusted };

struct StateRead {
  Load load = Load::missing;
  Trust trust = Trust::ok;              // the file's checks (untrusted, or io/too_large)
  StateError error = StateError::none;  // the text's checks (damaged)
  const char* why() const;              // "writable by group or others", "damaged (...)"
  const char* fix() const;
};

// Reads and checks DIR/iptmode-shim.state. `out` is set only on Load::ok.
StateRead read_state(int dirfd, State& out);

// The shim's refusal of an untrusted state, one line naming the file and the
// fix: "DIR/iptmode-shim.state: writable by group or others; chmod go-w it".
void refusal(const StateRead& r, const char* dir, char* out, std::size_t cap);

// ---------------------------------------------------------------- settings

enum class SettingsLoad { ok, defaults, untrusted, bad_line };

struct SettingsRead {
  SettingsLoad load = SettingsLoad::defaults;
  Trust trust = Trust::ok;  // why, on untrusted
  int bad_line = 0;         // 1-based, on bad_line
};

// Reads and checks DIR/iptmode-shim.conf; `out` is the defaults when there
// is none, and is left alone on a refusal.
SettingsRead read_settings(int dirfd, Settings& out);

// The shim's refusal of settings that are untrusted or not understood, one
// line naming the file (and line) and the fix.
void refusal(const SettingsRead& r, const char* dir, char* out, std::size_t cap);

enum class SettingsWrite { written, unchanged, unreadable_back, failed };

// Records `s` as the shim will read it back. A value the shim would refuse
// or cut ("..", "#", too long) is unreadable_back and nothing is written;
// settings equal to the file's are not rewritten (`shim watch` would see its
// own write). On failed, `*err` is the errno.
SettingsWrite write_settings(int dirfd, const Settings& s, int* err);

// ---------------------------------------------------------------- the lock

// How long a caller waits for DIR/iptmode-shim.lock: longer than a holder's
// whole first-call detection (its timeout plus 2 s), so a healthy holder is
// always waited for and a stopped one is not waited for forever.
int lock_wait_ms(const Settings& s);

enum class LockStatus { ok, read_only, timed_out, failed };

// DIR/iptmode-shim.lock, held until destroyed. The lock file records the
// holder's pid (so a waiter that gives up can say who holds it) and the
// failure of the last first-call detection, so callers that waited for a
// detection reuse its failure instead of running their own.
class StateLock {
 public:
  StateLock() = default;
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  // Waits at most `wait_ms`, with a short backoff (no busy loop, no signal).
  // read_only: the directory's filesystem is read-only (EROFS).
  LockStatus take(int dirfd, int wait_ms);

  int error() const { return err_; }       // on failed / read_only
  long holder() const { return holder_; }  // on timed_out: the recorded pid, 0 if none
  const char* holder_name() const { return holder_name_; }  // its /proc comm, "" if unknown
  // The detection failure a holder recorded after this caller began to take
  // the lock (so: the detection it waited for), or nullptr.
  const char* failure() const { return failure_[0] ? failure_ : nullptr; }
  // Records (or, with nullptr, clears) this holder's detection failure.
  void record_failure(const char* text);

 private:
  void read_record(std::int64_t since_ns);
  void write_record();

  int fd_ = -1;
  int err_ = 0;
  long holder_ = 0;
  char holder_name_[32] = {};
  char failure_[480] = {};
  char kept_[600] = {};  // the failure line as found, kept for later waiters
};

// Under `held`: records `s`, keeping the version cache of the state it
// replaces (the binaries did not change). Returns 0 or the errno.
int record_decision(int dirfd, const StateLock& held, State s);

// Under `held`: records `entry` as the cache for `mode` in the state on disk
// (read again first). Returns 0, ENOENT when there is no valid state, or the errno.
int record_cache(int dirfd, const StateLock& held, Mode mode, const CacheEntry& entry);

// Under `held`: records `s` whole.
int write_state(int dirfd, const StateLock& held, const State& s);

}  // namespace iptmode::shim
