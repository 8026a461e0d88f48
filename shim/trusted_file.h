// Files the shim trusts: root-owned regular files that neither group nor
// others can write. Anything else could steer what every iptables call on
// the node runs. Nothing here allocates.
#pragma once

#include <sys/stat.h>

#include <cstddef>

namespace iptmode::shim {

enum class Trust { ok, missing, not_regular, not_root, writable, too_large, io };

// Checks an open file (fstat).
Trust check_trusted(int fd, struct stat* st_out = nullptr);

// Opens `name` under `dirfd` without following a final link, checks it, and
// reads at most `cap` bytes (a longer file is too_large).
Trust read_trusted(int dirfd, const char* name, char* buf, std::size_t cap, std::size_t* len);

// The fix for a refusal, e.g. "chown root:root" or "chmod go-w".
const char* fix_for(Trust t);
const char* describe(Trust t);

}  // namespace iptmode::shim
