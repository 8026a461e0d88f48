// The files of an installed shim, as the iptmode command manages them: the
// six links, the shim binary, its settings and its state.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "core/fd.h"
#include "core/paths.h"
#include "detect/decide.h"
#include "detect/evidence.h"
#include "shim/settings.h"
#include "shim/state.h"

namespace iptmode::cli {

// The state a decision records: mode, rule, and the newest iptables-nft
// among the components (the writer an nft reader must not be older than).
shim::State state_for(const Evidence& ev, const Decision& d);
std::string format(const shim::State& s);

// The bin dir opened for reading (fsync-able) and writing under.
Result<UniqueFd> open_bin_dir(const std::string& dir);

// Holds DIR/iptmode-shim.lock until destroyed: the shim takes the same lock.
class ShimLock {
 public:
  static Result<ShimLock> take(int dirfd, const std::string& dir);
  ShimLock(ShimLock&&) = default;

 private:
  explicit ShimLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Reads DIR/iptmode-shim.state; nullopt when missing or not valid.
std::optional<shim::State> read_state(int dirfd);

// Records `s` in DIR/iptmode-shim.state (under the lock), keeping the
// version cache of the state it replaces: the binaries did not change.
Result<void> write_state(int dirfd, const std::string& dir, shim::State s);

// The link `name` in dirfd, or nullopt when it is not a symlink.
std::optional<std::string> link_target(int dirfd, const std::string& name);

// Makes `name` a symlink to `target` by renaming a new link over it, so the
// name never goes missing. Returns whether anything changed.
Result<bool> replace_link(int dirfd, const std::string& dir, const std::string& name,
                          const std::string& target);

// The shim's settings in dirfd, or the defaults when there is no file.
Result<shim::Settings> read_settings(int dirfd, const std::string& dir);
Result<void> write_settings(int dirfd, const std::string& dir, const shim::Settings& s);

}  // namespace iptmode::cli
