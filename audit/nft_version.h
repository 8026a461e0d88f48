// The version in an `nft` binary, read from its bytes (never run: it may be a
// container's, built for another libc or another architecture).
#pragma once

#include <optional>

#include "core/version.h"

namespace iptmode {

// The first NUL-delimited "X.Y.Z" string in the file open at `fd`; reads at
// most 64 MiB.
std::optional<Version> read_nft_version(int fd);

}  // namespace iptmode
