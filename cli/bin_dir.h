// The bin dir as the iptmode command changes it: opened, its shim files read
// and recorded through shim/files.h (the shim's own checks and lock, its
// refusals as error messages), and its six links read and replaced.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "core/fd.h"
#include "shim/settings.h"
#include "shim/state.h"

namespace iptmode::cli {

// The bin dir opened for reading (fsync-able) and writing under.
Result<UniqueFd> open_bin_dir(const std::string& dir);

// The shim's settings, or the defaults when there is no file; what the shim
// would refuse is an error with the shim's message.
Result<shim::Settings> load_settings(int dirfd, const std::string& dir);
Result<void> store_settings(int dirfd, const std::string& dir, const shim::Settings& s);

// The recorded state; nullopt when missing or damaged, an error when the
// shim would refuse it.
Result<std::optional<shim::State>> load_state(int dirfd, const std::string& dir);

// Records a decision under the shim's lock, keeping the version cache.
Result<void> store_decision(int dirfd, const std::string& dir, const shim::State& s);

// The link `name` in dirfd, or nullopt when it is not a symlink.
std::optional<std::string> link_target(int dirfd, const std::string& name);

// shim::temp_name of `name`: the temporary the command renames over it.
Result<std::string> temp_name(const std::string& name);

// Makes `name` a symlink to `target` by renaming a new link over it, so the
// name never goes missing. Returns whether anything changed.
Result<bool> replace_link(int dirfd, const std::string& dir, const std::string& name,
                          const std::string& target);

}  // namespace iptmode::cli
