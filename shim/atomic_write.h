// Replacing a file whole: a temporary beside it, fsync, rename over the old
// one, fsync of the directory. A crash leaves the old file or the new one,
// never a torn one. Allocates nothing.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace iptmode::shim {

// `dirfd` must be open for reading (O_RDONLY | O_DIRECTORY) so it can be
// fsynced. Returns 0, or the errno that stopped it (the old file stays).
int write_atomic(int dirfd, const char* name, const char* data, std::size_t len, mode_t mode);

}  // namespace iptmode::shim
