// The zero-bypass form of a bin dir: `iptmode shim install` moves k0s's
// staged xtables-nft-multi / xtables-legacy-multi into kBackendStore and
// writes in their place a `#!<bin dir>/iptmode-shim` script padded to the
// staged file's size (and given its mtime), so k0s's stage check re-uses it
// and every name k0s links, to either file, runs the shim. This module says
// what such a script holds and recognises one; it reads and writes nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace iptmode::shim {

// Beside the names: where the staged binaries go (a subdirectory, so the
// move is a rename on one filesystem).
inline constexpr const char* kBackendStore = "iptmode-backend";

// The second line of every padded script: the first line's words are the
// interpreter's arguments to the kernel, so the marker cannot live there.
inline constexpr std::string_view kPaddedMarker = "# iptmode-shim zero-bypass: ";

// The kernel reads a #! line from the first 256 bytes of the file
// (BINPRM_BUF_SIZE).
inline constexpr std::size_t kShebangMax = 255;

// How many bytes of a file recognise_padded needs.
inline constexpr std::size_t kPaddedHead = 512;

// The script for `name` in `dir`, exactly `size` bytes; nullopt when its
// two lines do not fit in `size` or the #! line is longer than kShebangMax.
std::optional<std::string> padded_script(std::string_view dir, std::string_view name,
                                         std::size_t size);

// The interpreter path of a padded script, from its first bytes; nullopt
// when `head` is not one (a binary, a foreign script, a bare #! line).
std::optional<std::string_view> padded_interpreter(std::string_view head);

}  // namespace iptmode::shim
