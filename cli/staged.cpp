#include "cli/staged.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "cli/bin_dir.h"
#include "core/binary.h"
#include "core/fd.h"
#include "detect/file_read.h"
#include "shim/files.h"
#include "shim/padded.h"

namespace iptmode::cli {
namespace {

std::string staged_name(Mode m) {
  return fmt::format("xtables-{}-multi", to_string(m));
}

Result<UniqueFd> open_store(int dirfd, const std::string& dir, bool create) {
  if (create && ::mkdirat(dirfd, shim::kBackendStore, 0755) != 0 && errno != EEXIST)
    return errno_fail(fmt::format("{}/{}", dir, shim::kBackendStore));
  UniqueFd fd(
      ::openat(dirfd, shim::kBackendStore, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno_fail(fmt::format("{}/{}", dir, shim::kBackendStore));
  return fd;
}

// Replaces <to>/<name> with `bytes` of st's mode and times, through
// shim::write_atomic (a temporary, fsync, rename, fsync of the directory).
// k0s's stage check compares the mtime to the nanosecond (Go's Time.Equal).
Result<void> write_as(int to, const std::string& where, const std::string& name,
                      std::string_view bytes, const struct stat& st) {
  const std::array<timespec, 2> times{st.st_atim, st.st_mtim};
  if (int err = shim::write_atomic(to, name.c_str(), bytes.data(), bytes.size(), st.st_mode & 07777,
                                   times.data()))
    return sys_fail(fmt::format("{}/{}", where, name), err);
  return {};
}

// The whole of <dirfd>/<name>, the staged binary `st` describes: at most its
// st_size bytes, so a file that grew since it was checked (k0s re-staging it
// mid-copy) is a clear error, not a read without end. read_file_bounded's
// messages begin with `name`, so `where/` goes before; its one error without
// an errno is the size.
Result<std::string> read_staged_bytes(int dirfd, const std::string& where, const std::string& name,
                                      const struct stat& st) {
  auto bytes =
      read_file_bounded(dirfd, name, static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)));
  if (bytes) return bytes;
  const Error& e = bytes.error();
  return fail(fmt::format("{}/{}{}", where, e.message,
                          e.errnum == 0 ? " (its size when checked): it changed while being "
                                          "copied, run this again"
                                        : ""),
              e.errnum);
}

// Moves <from>/<name> onto <to>/<name>: one rename on one filesystem, else a
// copy with its mode and times renamed into place, then the source removed.
Result<void> move_over(int from, const std::string& from_where, int to, const std::string& to_where,
                       const std::string& name, bool keep_source) {
  if (!keep_source && ::renameat(from, name.c_str(), to, name.c_str()) == 0) return {};
  if (keep_source) {
    auto tmp_name = temp_name(name);
    if (!tmp_name) return std::unexpected(tmp_name.error());
    const std::string& tmp = *tmp_name;
    ::unlinkat(to, tmp.c_str(), 0);
    if (::linkat(from, name.c_str(), to, tmp.c_str(), 0) == 0) {
      if (::renameat(to, tmp.c_str(), to, name.c_str()) == 0) return {};
      auto err = errno_fail(fmt::format("{}/{}", to_where, name));
      ::unlinkat(to, tmp.c_str(), 0);
      return err;
    }
  }
  if (errno != EXDEV) return errno_fail(fmt::format("{}/{}", to_where, name));
  struct stat st {};
  if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno_fail(fmt::format("{}/{}", from_where, name));
  auto bytes = read_staged_bytes(from, from_where, name, st);
  if (!bytes) return std::unexpected(bytes.error());
  if (auto r = write_as(to, to_where, name, *bytes, st); !r) return r;
  if (!keep_source && ::unlinkat(from, name.c_str(), 0) != 0)
    return errno_fail(fmt::format("{}/{}", from_where, name));
  return {};
}

}  // namespace

Staged read_staged(int dirfd, Mode mode) {
  Staged s;
  s.mode = mode;
  s.name = staged_name(mode);
  if (::fstatat(dirfd, s.name.c_str(), &s.st, AT_SYMLINK_NOFOLLOW) != 0) return s;
  s.kind = StagedKind::other;
  if (!S_ISREG(s.st.st_mode)) return s;
  UniqueFd fd(::openat(dirfd, s.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return s;
  std::array<char, shim::kPaddedHead> head{};
  const ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
  if (n > 0 && shim::padded_interpreter({head.data(), static_cast<std::size_t>(n)})) {
    s.kind = StagedKind::padded;
    return s;
  }
  auto info = read_binary(fd.get());
  const BinaryKind want =
      mode == Mode::nft ? BinaryKind::xtables_nft_multi : BinaryKind::xtables_legacy_multi;
  if (info && info->kind == want && !info->script) s.kind = StagedKind::real;
  return s;
}

Result<std::string> canonical_dir(const std::string& dir) {
  char buf[PATH_MAX];
  if (!::realpath(dir.c_str(), buf)) return errno_fail(dir);
  return std::string(buf);
}

Result<void> stash_staged(int dirfd, const std::string& dir, const Staged& s) {
  auto store = open_store(dirfd, dir, true);
  if (!store) return std::unexpected(store.error());
  return move_over(dirfd, dir, store->get(), fmt::format("{}/{}", dir, shim::kBackendStore), s.name,
                   true);
}

Result<void> pad_staged(int dirfd, const std::string& dir, const std::string& canon,
                        const Staged& s) {
  const auto script = shim::padded_script(
      canon, s.name, static_cast<std::size_t>(std::max<off_t>(s.st.st_size, 0)));
  if (!script)
    return fail(fmt::format("{}/{}: {} bytes cannot hold a #!{}/iptmode-shim script", dir, s.name,
                            s.st.st_size, canon));
  return write_as(dirfd, dir, s.name, *script, s.st);
}

Result<bool> restore_staged(int dirfd, const std::string& dir, const Staged& s) {
  if (s.kind != StagedKind::padded) return false;
  auto store = open_store(dirfd, dir, false);
  if (!store) return std::unexpected(store.error());
  const std::string where = fmt::format("{}/{}", dir, shim::kBackendStore);
  if (::faccessat(store->get(), s.name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0)
    return errno_fail(fmt::format("{}/{} (kept for {}/{})", where, s.name, dir, s.name));
  if (auto r = move_over(store->get(), where, dirfd, dir, s.name, false); !r)
    return std::unexpected(r.error());
  return true;
}

void remove_store_if_empty(int dirfd) {
  (void)::unlinkat(dirfd, shim::kBackendStore, AT_REMOVEDIR);
}

}  // namespace iptmode::cli
