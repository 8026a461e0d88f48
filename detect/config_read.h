// Config files read for their text (iptmode.conf, firewalld.conf and its
// zones, k0s.yaml, kube-proxy's --config), found inside a root. A path there
// is chosen by whoever wrote that root, so what is read must be a file: a
// regular file (never a FIFO or device), on a filesystem that stores files.
// Reading procfs, sysfs or debugfs has effects (/proc/kmsg drains the kernel
// log for everyone) or reports kernel state, not config. Reads are bounded
// and say when they stopped early.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/fd.h"
#include "detect/budget.h"

namespace iptmode {

struct ConfigText {
  std::string text;        // at most the limit's bytes
  bool truncated = false;  // the file holds more than `text`
};

// The name of a kernel pseudo-filesystem (statfs f_type), or "" for one that
// stores files. devtmpfs reports tmpfs's type: it holds device nodes, which
// the regular-file check refuses.
std::string_view pseudo_filesystem(long f_type);

// Reads at most `limit` bytes from `fd`, open for reading; `name` is for
// messages.
Result<ConfigText> read_config_fd(int fd, const std::string& name, std::size_t limit);

// Resolves `path` inside `root_fd` (detect/in_root.h: links stay inside the
// root) and reads it if it is a regular file on a filesystem that stores
// files (checked before it is opened). A missing file fails with errnum
// ENOENT; with `budget`, the lookup spends it (detect/in_root.h).
Result<ConfigText> read_config_in_root(int root_fd, std::string_view path, std::size_t limit,
                                       Budget* budget = nullptr);

// A host path given on the command line (--config): links are followed as
// any program would.
Result<ConfigText> read_config_path(const std::string& path, std::size_t limit);

}  // namespace iptmode
