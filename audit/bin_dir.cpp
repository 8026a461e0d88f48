#include "audit/bin_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "detect/file_read.h"
#include "detect/in_root.h"
#include "shim/names.h"
#include "shim/settings.h"
#include "shim/state.h"

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
    e.points_to_shim =
        e.target && (*e.target == shim::kShimFile || e.target->ends_with("/iptmode-shim"));
    b.names.push_back(std::move(e));
  }
  b.shim_binary = ::faccessat(dirfd.get(), shim::kShimFile, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  b.shim_installed = b.shim_binary;
  for (const auto& n : b.names) b.shim_installed = b.shim_installed && n.points_to_shim;

  shim::Settings settings = shim::default_settings();
  if (auto text = read_file_bounded(dirfd.get(), shim::kSettingsFile, shim::kSettingsMax))
    shim::parse_settings(*text, settings, nullptr);
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

  auto text = read_file_bounded(dirfd.get(), shim::kStateFile, shim::kStateMax);
  if (!text) {
    b.state_note = text.error().message;
  } else {
    shim::State s;
    if (auto e = shim::parse_state(*text, s); e == shim::StateError::none)
      b.state_mode = s.mode;
    else
      b.state_note = fmt::format("{}/{}: {}", dir, shim::kStateFile, shim::describe(e));
  }
  return b;
}

}  // namespace iptmode
