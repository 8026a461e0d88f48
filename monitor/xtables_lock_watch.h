// The x_tables writers that follow iptables' locking: each opens the xtables
// lock file (XTABLES_LOCKFILE, else /run/xtables.lock) before it reads or
// writes a table and closes it when done (at exit). fanotify reports both
// with the opener's pid. Needs CAP_SYS_ADMIN and a file that exists: the mark
// is on its inode. Read-only: the file is never opened by the monitor.
//
// The open is a permission event (FAN_OPEN_PERM) where the kernel has them:
// the opener waits until the monitor has read its /proc entry and allowed
// it, so even a writer that is done within a millisecond is named. The
// answer is always "allow", given before anything else is done; if the
// monitor exits, the kernel allows every pending open. Without permission
// events it falls back to FAN_OPEN, and a fast writer may be gone when read.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fd.h"

namespace iptmode::monitor {

inline constexpr const char* kDefaultLockFile = "/run/xtables.lock";

// XTABLES_LOCKFILE when set and not empty (iptables >= 1.8 honours it too),
// else kDefaultLockFile.
std::string lock_file_path();

struct LockDrained {
  std::vector<pid_t> closes;  // in order
  bool lost = false;          // the queue overflowed
};

class LockWatch {
 public:
  // Fails with ENOENT when the file does not exist (yet), EPERM without
  // CAP_SYS_ADMIN.
  static Result<LockWatch> open(const std::string& path);

  int fd() const { return fd_.get(); }
  bool holds_opens() const { return perm_; }  // opens wait for on_open
  // The queued events, without blocking: `on_open` runs for each open as it
  // is read (then the open is allowed); the closes are returned.
  Result<LockDrained> drain(const std::function<void(pid_t)>& on_open);

 private:
  UniqueFd fd_;
  bool perm_ = false;
};

}  // namespace iptmode::monitor
