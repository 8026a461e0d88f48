// Bounded reads of small files that other software wrote (/proc entries,
// config and state files). Nothing here reads without a size limit or blocks
// on a FIFO.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/fd.h"
#include "core/file_type.h"

namespace iptmode {

// Opens `path_fd` (an O_PATH descriptor) for reading if, and only if, it is
// a regular file. Opening a device node runs its driver's open routine (a
// planted watchdog node, say), so the type is checked before the open, on
// the very inode that is then opened (through /proc/self/fd). A symlink is
// ELOOP, anything else not regular EINVAL.
Result<UniqueFd> reopen_regular(UniqueFd path_fd, const std::string& name);

// Reads at most `limit` bytes of the regular or proc file at `path` (relative
// to `dirfd`, or absolute with AT_FDCWD). A longer file is an error that says
// so, not a silent truncation. Opens with O_NONBLOCK|O_CLOEXEC, and with
// O_NOFOLLOW unless `follow_link` (a config file mounted from a Kubernetes
// ConfigMap is a symlink into ..data/).
Result<std::string> read_file_bounded(int dirfd, const std::string& path, std::size_t limit,
                                      bool follow_link = false);

}  // namespace iptmode
