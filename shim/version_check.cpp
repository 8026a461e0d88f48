#include "shim/version_check.h"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "core/binary.h"
#include "core/known_bad.h"
#include "shim/backend.h"
#include "shim/message.h"
#include "shim/names.h"

namespace iptmode::shim {
namespace {

BackendIdentity identity(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

// The binary's own bytes, read with pread so the fd is left as it was for exec.
BinaryInfo scan(int fd, const char* path) {
  BinaryScanner scanner;
  char buf[64 * 1024];
  off_t off = 0;
  while (static_cast<std::size_t>(off) < kBinaryReadLimit) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) refuse("%s: read: %s", path, std::strerror(errno));
    if (n == 0) break;
    scanner.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    off += n;
  }
  return scanner.result();
}

[[gnu::format(printf, 2, 3)]] void report(VersionCheck policy, const char* fmt, ...);

void report(VersionCheck policy, const char* fmt, ...) {
  char line[768];
  va_list ap;
  va_start(ap, fmt);
  (void)std::vsnprintf(line, sizeof line, fmt, ap);  // a cut line is still one line
  va_end(ap);
  if (policy == VersionCheck::enforce) refuse("%s (version-check = enforce)", line);
  warn("%s", line);
}

}  // namespace

void check_backend_version(const Place& at, const char* backend_path, int backend_fd,
                           const struct stat& st, Mode mode, const State* state,
                           VersionCheck policy) {
  if (policy == VersionCheck::off) return;
  const BackendIdentity id = identity(st);
  CacheEntry entry;
  // The cache holds only files that passed the bytes check, except entries
  // an older shim recorded without a version: those are read again.
  const CacheEntry& cached = state ? state->cache[cache_index(mode)] : entry;
  if (state && cached.valid && cached.id == id && cached.has_version) {
    entry = cached;
  } else {
    const BinaryInfo info = scan(backend_fd, backend_path);
    char why[kWhyMax];
    if (!backend_bytes_ok(info, mode, backend_path, at.dir, why, sizeof why)) refuse("%s", why);
    entry = {true, id, info.version.has_value(), info.version.value_or(Version{})};
    if (state && !(cached.valid && cached.id == id)) remember_cache(at, mode, entry);
  }
  if (!entry.has_version) return;  // a build that does not say: nothing to check against
  const Version& v = entry.version;

  const char* fix = "install another iptables version, or set version-check = off in";
  for (const KnownBad& row : known_bad_versions()) {
    if (row.backend != mode || v < row.first || row.last < v) continue;
    report(policy, "%s is iptables %d.%d.%d (%s): %.*s [%.*s]; %s %s/%s", backend_path, v.major,
           v.minor, v.patch, to_string(mode).data(), static_cast<int>(row.problem.size()),
           row.problem.data(), static_cast<int>(row.source.size()), row.source.data(), fix, at.dir,
           kSettingsFile);
    return;
  }
  if (mode == Mode::nft && state && state->has_nft_writer &&
      nft_reader_misreads(v, state->nft_writer)) {
    const Version& w = state->nft_writer;
    report(
        policy,
        "%s is iptables-nft %d.%d.%d, older than the %d.%d.%d a component writes with: it misreads "
        "those rules [%.*s]; stage iptables >= 1.8.8 in %s",
        backend_path, v.major, v.minor, v.patch, w.major, w.minor, w.patch,
        static_cast<int>(kNftSkewSource.size()), kNftSkewSource.data(), at.dir);
  }
}

}  // namespace iptmode::shim
