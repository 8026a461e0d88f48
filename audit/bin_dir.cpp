#include "audit/bin_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <sys/stat.h>

#include "detect/in_root.h"
#include "shim/files.h"
#include "shim/names.h"

namespace iptmode {

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
    b.names.push_back(std::move(e));
  }
  b.shim_binary = ::faccessat(dirfd.get(), shim::kShimFile, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  b.shim_installed = b.shim_binary;
  for (const auto& n : b.names) b.shim_installed = b.shim_installed && n.points_to_shim;

  struct stat dst {};
  if (::fstat(dirfd.get(), &dst) != 0 || !shim::dir_trusted(dst))
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

  for (Mode m : {Mode::nft, Mode::legacy}) {
    StagedBackend sb{m, fmt::format("{}/xtables-{}-multi", b.backend_dir, to_string(m)),
                     std::nullopt, ""};
    auto r = resolve_in_root(root->get(), sb.path);
    auto fd = r ? open_in_root(root->get(), r->path) : Result<UniqueFd>(std::unexpected(r.error()));
    if (!fd) {
      sb.note = fd.error().message;
    } else if (auto info = read_binary(fd->get())) {
      sb.info = *info;
    } else {
      sb.note = info.error().message;
    }
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
