// The backend's version against the known-bad table and, in nft mode,
// against the newest iptables-nft the detector saw among the components
// (an older reader misreads a newer writer's rules: bugzilla 1632).
#pragma once

#include <sys/stat.h>

#include "core/version_policy.h"
#include "shim/first_call.h"
#include "shim/state.h"

namespace iptmode::shim {

// Reads the version from the cache when the backend's identity (device,
// inode, size, mtime) is unchanged, else from the binary's bytes, which must
// be an xtables multi binary of `mode` (backend_bytes_ok; refused otherwise),
// and records it. So the bytes are read only on a cache miss: a warm call
// costs the fstat the caller made. On a problem: warn prints one line and returns; enforce refuses.
// `state` may be null (no valid state: a -nft/-legacy name before detection).
void check_backend_version(const Place& at, const char* backend_path, int backend_fd,
                           const struct stat& st, Mode mode, const State* state,
                           VersionCheck policy);

}  // namespace iptmode::shim
