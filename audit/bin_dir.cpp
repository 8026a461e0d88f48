#include "audit/bin_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <sys/stat.h>

#include "core/paths.h"
#include "detect/file_read.h"
#include "detect/in_root.h"
#include "shim/backend.h"
#include "shim/files.h"
#include "shim/names.h"
#include "shim/padded.h"

namespace iptmode {
namespace {

// The backend as the shim opens and checks it (shim/backend.h, the very
// code): each refusal the shim would make on a call through that backend,
// in its words. A missing one is BACKEND_MISSING's (only the mode in use
// matters there), not a refusal here.
void check_backend(int rootfd, const std::string& dir, const shim::Settings& settings,
                   const struct stat* shim_st, StagedBackend& sb,
                   std::vector<std::string>& refusals) {
  shim::BackendOpen bo;
  const bool opened =
      shim::open_backend(rootfd, sb.path.c_str(), sb.mode, dir.c_str(), shim_st, bo);
  const UniqueFd fd(bo.fd);
  if (!opened) {
    // The note says what is wrong with the file, without its path (the
    // finding names it) or the shim's fix (the finding has its own).
    std::string_view note = bo.why;
    if (note.starts_with(sb.path + ": ")) note.remove_prefix(sb.path.size() + 2);
    sb.note = std::string(note.substr(0, note.find("; ")));
    sb.refused = !bo.missing;
    if (sb.refused) refusals.emplace_back(bo.why);
    return;
  }
  auto info = read_binary(fd.get());
  if (!info) {
    sb.note = info.error().message;
    return;
  }
  sb.info = *info;
  char why[shim::kWhyMax];
  if (settings.version_check != VersionCheck::off &&
      !shim::backend_bytes_ok(*info, sb.mode, sb.path.c_str(), dir.c_str(), why, sizeof why))
    refusals.emplace_back(why);
}

// The bin dir's shim against the package's: an upgrade replaces only the
// package's, and only `shim install` (or `shim watch`) copies it over.
bool differs_from_package(int rootfd, int dirfd) {
  constexpr std::size_t kLimit = 64 * 1024 * 1024;
  auto resolved = resolve_in_root(rootfd, kPackagedShim);
  if (!resolved) return false;  // not installed from the package: nothing to compare
  auto packaged = read_file_bounded(rootfd, resolved->path.substr(1), kLimit);
  auto have = read_file_bounded(dirfd, shim::kShimFile, kLimit);
  return packaged && have && *packaged != *have;
}

// The staged names that are padded scripts for this directory's shim.
std::vector<std::string> padded_staged(int dirfd, const std::string& host_dir) {
  std::vector<std::string> out;
  for (Mode m : {Mode::nft, Mode::legacy}) {
    const std::string name = fmt::format("xtables-{}-multi", to_string(m));
    const UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;
    char head[shim::kPaddedHead];
    const ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
    if (n <= 0) continue;
    const auto interp = shim::padded_interpreter({head, static_cast<std::size_t>(n)});
    if (interp && *interp == (host_dir == "/" ? "" : host_dir) + "/" + shim::kShimFile)
      out.push_back(name);
  }
  return out;
}

}  // namespace

BinDirState read_bin_dir(const std::string& host_root, const std::string& dir) {
  BinDirState b;
  b.dir = dir;
  auto root = open_root(host_root);
  if (!root) return b;
  auto resolved = resolve_in_root(root->get(), dir);
  if (!resolved) return b;
  const std::string rel = resolved->path == "/" ? "." : resolved->path.substr(1);
  UniqueFd dirfd(::openat(root->get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return b;
  b.exists = true;

  const std::vector<std::string> padded = padded_staged(dirfd.get(), resolved->path);
  b.zero_bypass = padded.size() == 2;
  for (auto n : shim::kNames) {
    BinDirName e;
    e.name = std::string(n);
    char buf[4096];
    ssize_t len = ::readlinkat(dirfd.get(), e.name.c_str(), buf, sizeof buf);
    if (len >= 0)
      e.target = std::string(buf, static_cast<std::size_t>(std::min<ssize_t>(len, sizeof buf)));
    e.present = ::faccessat(dirfd.get(), e.name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    if (e.target)
      if (auto r = resolve_in_root(root->get(), fmt::format("{}/{}", resolved->path, e.name)); !r)
        e.dangling = r.error().message;
    e.points_to_shim =
        e.target && (*e.target == shim::kShimFile || e.target->ends_with("/iptmode-shim"));
    for (const auto& p : padded)
      e.points_to_shim = e.points_to_shim || (e.target && *e.target == p);
    b.names.push_back(std::move(e));
  }
  b.shim_binary = ::faccessat(dirfd.get(), shim::kShimFile, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  b.shim_installed = b.shim_binary;
  if (b.shim_binary && differs_from_package(root->get(), dirfd.get()))
    b.packaged_shim_differs = kPackagedShim;
  for (const auto& n : b.names) b.shim_installed = b.shim_installed && n.points_to_shim;

  struct stat dst {};
  const bool dir_ok = ::fstat(dirfd.get(), &dst) == 0 && shim::dir_trusted(dst);
  if (!dir_ok)
    b.shim_refusals.push_back(fmt::format(
        "{}: the shim's directory must be owned by root and not writable by group or others; "
        "chown root {} && chmod go-w {}",
        dir, dir, dir));
  char why[512];
  shim::Settings settings = shim::default_settings();
  if (const auto r = shim::read_settings(dirfd.get(), settings);
      r.load == shim::SettingsLoad::untrusted || r.load == shim::SettingsLoad::bad_line) {
    shim::refusal(r, dir.c_str(), why, sizeof why);
    b.shim_refusals.emplace_back(why);
  }
  b.backend_dir = settings.backend_dir[0] ? settings.backend_dir : dir;

  struct stat shim_st {};
  const bool have_shim = ::fstatat(dirfd.get(), shim::kShimFile, &shim_st, 0) == 0;
  for (Mode m : {Mode::nft, Mode::legacy}) {
    StagedBackend sb{m, fmt::format("{}/xtables-{}-multi", b.backend_dir, to_string(m)),
                     std::nullopt, ""};
    std::vector<std::string> refusals;
    check_backend(root->get(), dir, settings, have_shim ? &shim_st : nullptr, sb, refusals);
    // Through an untrusted bin dir the shim stops at the directory (above).
    if (dir_ok || b.backend_dir != dir)
      b.shim_refusals.insert(b.shim_refusals.end(), refusals.begin(), refusals.end());
    b.backends.push_back(std::move(sb));
  }

  shim::State st;
  if (const auto r = shim::read_state(dirfd.get(), st); r.load == shim::Load::ok) {
    b.state_mode = st.mode;
  } else {
    b.state_note = fmt::format("{}/{}: {}", dir, shim::kStateFile, r.why());
    if (r.load == shim::Load::untrusted) {
      shim::refusal(r, dir.c_str(), why, sizeof why);
      b.shim_refusals.emplace_back(why);
    }
  }
  return b;
}

}  // namespace iptmode
