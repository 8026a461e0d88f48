// k0s's staged xtables-nft-multi / xtables-legacy-multi in the bin dir and
// their zero-bypass form (shim/padded.h): the real binary kept in
// <bin dir>/iptmode-backend/, a padded `#!<bin dir>/iptmode-shim` script of
// the same size, mtime and mode in its place, and back again. Every step is
// a rename onto the name, so the name never goes missing and never holds a
// partial file.
#pragma once

#include <sys/stat.h>

#include <string>

#include "core/error.h"
#include "core/mode.h"

namespace iptmode::cli {

enum class StagedKind {
  missing,
  real,    // an xtables multi binary of its mode: k0s's staged file
  padded,  // our script (shim/padded.h's marker)
  other,   // a link, another script, another binary: left alone
};

struct Staged {
  Mode mode = Mode::nft;
  std::string name;  // xtables-<mode>-multi
  StagedKind kind = StagedKind::missing;
  struct stat st {};
};

// What <dirfd>/xtables-<mode>-multi is now (never follows a link).
Staged read_staged(int dirfd, Mode mode);

// The directory the shim sees itself in (/proc/self/exe, links resolved):
// what a padded script's #! line must name.
Result<std::string> canonical_dir(const std::string& dir);

// Keeps the real binary in <dir>/iptmode-backend/ under its name (a hard
// link, else a copy with its mode and mtime), replacing an older one there.
Result<void> stash_staged(int dirfd, const std::string& dir, const Staged& s);

// Renames a padded script for `canon`'s shim, of s's size, mode and mtime,
// over the staged name. stash_staged first: the binary must be kept.
Result<void> pad_staged(int dirfd, const std::string& dir, const std::string& canon,
                        const Staged& s);

// Puts <dir>/iptmode-backend/<name> back over the padded script (a rename,
// else a copy with its mode and mtime), so the bin dir holds what k0s staged,
// byte for byte. False when there was nothing to restore.
Result<bool> restore_staged(int dirfd, const std::string& dir, const Staged& s);

// Removes <dir>/iptmode-backend when nothing is left in it.
void remove_store_if_empty(int dirfd);

}  // namespace iptmode::cli
