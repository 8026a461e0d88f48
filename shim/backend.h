// The backend the shim becomes, opened and checked one way for everyone: the
// shim on every call, `iptmode shim install` (the backend-dir) and the audit
// (which reports each refusal as SHIM_REFUSES). What it refuses is what the
// shim refuses.
//
// The path is walked one component at a time from `rootfd`, never by the
// kernel in one go, so that every directory the walk passes through (those
// a symlink leads to included) is checked like the shim's own directory:
// root's and writable by nobody else, or sticky (/tmp) with a root-owned
// entry on the path. Whoever could write one of them could swap what runs as
// iptables. The final file must be a root-owned regular file nobody else
// can write (check_trusted), and it is opened only after its type is known.
//
// Status returns, fixed buffers, nothing allocates: the static shim runs
// this on its fast path.
#pragma once

#include <sys/stat.h>

#include <cstddef>

#include "core/binary.h"
#include "core/mode.h"

namespace iptmode::shim {

inline constexpr std::size_t kWhyMax = 768;

struct BackendOpen {
  int fd = -1;             // open O_RDONLY (for the version scan and execveat), on success
  struct stat st {};       // of fd
  bool missing = false;    // the file (or a directory above it) is not there
  char why[kWhyMax] = {};  // on refusal: one line naming the file and, after the last "; ", the fix
};

// Opens DIR/xtables-<mode>-multi the shim would run, where `backend` is that
// path and `bin_dir` the shim's directory (for the fix). `shim` is the shim
// binary's stat: a backend that is the shim itself is refused (it would call
// itself forever). Returns false with `out.why` set; the caller closes out.fd.
bool open_backend(int rootfd, const char* backend, Mode mode, const char* bin_dir,
                  const struct stat* shim, BackendOpen& out);

// The backend-dir alone (for `shim install`): every directory on the way to
// it and the directory itself, as open_backend checks them. `*missing` says
// the refusal is only that a directory is not there (yet).
bool backend_dir_trusted(int rootfd, const char* dir, char* why, std::size_t cap, bool* missing);

// The bytes check: false (with `why`) unless `info` is an xtables multi
// binary of `mode`. A `#!` script, a wrapper, a shell, any other program is
// refused: the shim executes the backend itself, and a program that names
// no xtables build could be anything.
bool backend_bytes_ok(const BinaryInfo& info, Mode mode, const char* backend, const char* bin_dir,
                      char* why, std::size_t cap);

}  // namespace iptmode::shim
