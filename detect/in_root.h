// What a path means inside a root directory: the host's `/`, a test's tree,
// or /proc/PID/root of a process in another mount namespace. Symlinks are
// followed inside the root: absolute targets start again at the root, `..`
// stops at the root, and loops end with an error. Nothing here runs code or
// writes anything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/fd.h"
#include "detect/budget.h"

namespace iptmode {

inline constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Links followed before a lookup gives up, as the kernel's MAXSYMLINKS.
inline constexpr int kMaxLinks = 40;
// Path components one lookup may walk in all: 40 links of 4 KiB targets full
// of "d/../" would otherwise cost seconds each, and a container controls them.
inline constexpr int kMaxSteps = 4096;
// PATH entries searched: a container's PATH can be a megabyte long.
inline constexpr int kMaxPathEntries = 64;

struct Resolved {
  std::string path;                // canonical, absolute inside the root, no symlink left
  std::vector<std::string> links;  // every link followed: "/usr/sbin/iptables -> xtables-nft-multi"
};

// Opens a root directory for the functions below.
Result<UniqueFd> open_root(const std::string& dir);

// Resolves `path` (absolute, or relative to the root) to the file it names.
// Every path component walked is a step spent on `budget` (when given); one
// that runs out ends the lookup with errnum kBudgetErrno.
Result<Resolved> resolve_in_root(int root_fd, std::string_view path, Budget* budget = nullptr);

// As execvp would find `name` on `path_var` (colon-separated; empty entries
// and relative entries are skipped, since they would name the caller's
// working directory): the first entry under which `name` resolves to a
// regular file with an execute bit. A budget that runs out ends the search
// (errnum kBudgetErrno), whatever entries are left.
Result<Resolved> which_in_root(int root_fd, std::string_view path_var, std::string_view name,
                               Budget* budget = nullptr);

// An O_PATH descriptor of a resolved path, confined to the root (openat2
// RESOLVE_IN_ROOT where the kernel has it), without following a final link:
// for checks (fstat, fstatfs) before anything is opened for reading.
Result<UniqueFd> open_path_in_root(int root_fd, const std::string& path);

// Opens a resolved path for reading as open_path_in_root finds it, without
// blocking on a FIFO. Fails unless it is a regular file.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path);

// The names in the directory `path` inside the root, sorted, without "."
// and ".." and without subdirectories (as Go's os.ReadDir and IsDir see
// them: a link to a directory is not one). At most `max` names; `cut` says
// when there were more.
struct DirNames {
  std::vector<std::string> names;
  bool cut = false;
};
Result<DirNames> list_dir_in_root(int root_fd, std::string_view path, std::size_t max);

}  // namespace iptmode
