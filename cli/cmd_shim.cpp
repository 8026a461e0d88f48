#include "cli/cmd_shim.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/bin_dir.h"
#include "cli/cmd_detect.h"
#include "cli/exit_codes.h"
#include "cli/staged.h"
#include "core/paths.h"
#include "detect/config.h"
#include "detect/file_read.h"
#include "shim/backend.h"
#include "shim/files.h"
#include "shim/names.h"
#include "shim/padded.h"

namespace iptmode::cli {
namespace {

int error_exit(std::string_view message) {
  fmt::print(stderr, "iptmode: {}\n", message);
  return kExitError;
}

Result<std::string> self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return fail(fmt::format("/proc/self/exe: {}", std::strerror(errno)));
  return std::string(buf, static_cast<std::size_t>(n));
}

// The shim binary to install: --shim, else beside this iptmode (a build
// tree), else where the package puts it.
Result<std::string> find_shim(const ShimOptions& opts) {
  if (!opts.shim.empty()) return opts.shim;
  auto self = self_path();
  if (!self) return std::unexpected(self.error());
  const std::string dir = self->substr(0, self->rfind('/'));
  for (const std::string& candidate :
       {dir + "/iptmode-shim", dir + "/../libexec/iptmode/iptmode-shim",
        std::string(kPackagedShim)})
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  return fail(
      fmt::format("no iptmode-shim beside {} or in /usr/libexec/iptmode; pass --shim PATH", *self));
}

// shim/main.cpp's marker, every byte one higher: this binary must not carry
// the marker itself, or `--shim /usr/sbin/iptmode` would pass.
bool is_shim(std::string_view bytes) {
  std::string marker = "A)$*jqunpef.tijn!ejtqbudifs";
  for (char& c : marker) --c;
  return bytes.find(marker) != std::string_view::npos;
}

// The six names as the shim wants them: links to iptmode-shim beside them,
// or (the zero-bypass form, docs/shim.md) to a staged xtables-<mode>-multi
// that is a padded script running the shim.
struct Plan {
  bool copy_shim = false;
  std::vector<std::string> relink;
  std::vector<Staged> staged;  // xtables-nft-multi, xtables-legacy-multi as they are now
  bool zero_bypass = false;    // some staged file is, or is to be, a padded script
};

// A name k0s linked to a staged file that is the shim already: left as k0s
// linked it (a fresh install links every name to iptmode-shim).
bool runs_shim(const Plan& plan, const std::string& target) {
  if (target == shim::kShimFile) return true;
  for (const auto& st : plan.staged)
    if (target == st.name && st.kind == StagedKind::padded) return true;
  return false;
}

Result<Plan> not_a_shim(const std::string& path, std::string_view why) {
  return fail(
      fmt::format("{}: not an iptmode-shim ({}); pass --shim with the iptmode-shim of "
                  "this iptmode package",
                  path, why));
}

Result<Plan> plan_install(int dirfd, const std::string& shim_path, bool names_only) {
  Plan plan;
  // The static shim is a few MiB. A larger file (iptmode itself, built with
  // its libraries linked in and debug info, is ~80 MiB) is not one, and is
  // not read whole to find that out.
  constexpr off_t kShimMax = 64 * 1024 * 1024;
  struct stat st {};
  if (::stat(shim_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > kShimMax)
    return not_a_shim(shim_path, "larger than any shim");
  auto want = read_file_bounded(AT_FDCWD, shim_path, kShimMax, true);
  if (!want) return std::unexpected(want.error());
  // Installed under the six names, any other file would run as iptables.
  if (!is_shim(*want)) return not_a_shim(shim_path, "its bytes lack the shim's marker");
  auto have = read_file_bounded(dirfd, shim::kShimFile, 64 * 1024 * 1024);
  plan.copy_shim = !have || *have != *want;
  for (Mode m : {Mode::nft, Mode::legacy}) {
    plan.staged.push_back(read_staged(dirfd, m));
    // --names-only: k0s's binaries stay (a script there from an earlier
    // install stays too: it runs the shim either way).
    if (names_only && plan.staged.back().kind == StagedKind::real)
      plan.staged.back().kind = StagedKind::other;
    const StagedKind k = plan.staged.back().kind;
    plan.zero_bypass = plan.zero_bypass || k == StagedKind::real || k == StagedKind::padded;
  }
  for (auto name : shim::kNames)
    if (!runs_shim(plan, link_target(dirfd, std::string(name)).value_or("")))
      plan.relink.emplace_back(name);
  return plan;
}

Result<void> copy_shim(int dirfd, const std::string& dir, const std::string& shim_path) {
  auto bytes = read_file_bounded(AT_FDCWD, shim_path, 64 * 1024 * 1024, true);
  if (!bytes) return std::unexpected(bytes.error());
  if (int err = shim::write_atomic(dirfd, shim::kShimFile, bytes->data(), bytes->size(), 0755))
    return fail(fmt::format("{}/{}: {}", dir, shim::kShimFile, std::strerror(err)), err);
  return {};
}

// Settings: the detector is this iptmode; backend-dir as asked or as it was;
// version-check from /etc/iptmode/iptmode.conf where it says.
Result<shim::Settings> want_settings(int dirfd, const std::string& dir, const ShimOptions& opts,
                                     bool zero_bypass) {
  auto settings = load_settings(dirfd, dir);
  if (!settings) return std::unexpected(settings.error());
  auto self = self_path();
  if (!self) return std::unexpected(self.error());
  if (self->size() >= sizeof settings->detector)
    return fail(fmt::format("{}: path too long", *self));
  (void)std::snprintf(settings->detector, sizeof settings->detector, "%s", self->c_str());
  if (!opts.backend_dir.empty()) {
    if (opts.backend_dir.front() != '/' || opts.backend_dir.size() >= sizeof settings->backend_dir)
      return fail(fmt::format("--backend-dir {}: must be an absolute path", opts.backend_dir));
    (void)std::snprintf(settings->backend_dir, sizeof settings->backend_dir, "%s",
                        opts.backend_dir.c_str());
  }
  auto config = load_config(std::string(kDefaultConfigPath), false);
  if (!config) return std::unexpected(config.error());
  if (config->version_check_set) settings->version_check = config->version_check;
  // backend-dir in /etc/iptmode/iptmode.conf, where no --backend-dir says otherwise.
  if (opts.backend_dir.empty() && !config->backend_dir.empty()) {
    if (config->backend_dir.size() >= sizeof settings->backend_dir)
      return fail(fmt::format("{}: backend-dir is longer than {} bytes", kDefaultConfigPath,
                              sizeof settings->backend_dir - 1));
    (void)std::snprintf(settings->backend_dir, sizeof settings->backend_dir, "%s",
                        config->backend_dir.c_str());
  }
  // The zero-bypass form: the bin dir's xtables-*-multi run the shim, so
  // the backends it runs are the ones kept in iptmode-backend/.
  if (zero_bypass) {
    auto canon = canonical_dir(dir);
    if (!canon) return std::unexpected(canon.error());
    const std::string store = fmt::format("{}/{}", *canon, shim::kBackendStore);
    const std::string have = settings->backend_dir;
    if (have.empty() || have == dir || have == *canon) {
      if (store.size() >= sizeof settings->backend_dir)
        return fail(fmt::format("{}: path too long", store));
      (void)std::snprintf(settings->backend_dir, sizeof settings->backend_dir, "%s", store.c_str());
    }
  }
  return settings;
}

// The shim would refuse every call through a backend-dir others can write
// (or with such a directory above it): refused here, before anything changes,
// by the shim's own check (shim/backend.h). One not there yet is not refused:
// k0s stages the backends when it starts, and the audit says BACKEND_MISSING.
Result<void> check_backend_dir(const shim::Settings& s, const std::string& bin_dir) {
  const std::string dir = s.backend_dir[0] ? std::string(s.backend_dir) : bin_dir;
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail(fmt::format("/: {}", std::strerror(errno)));
  char why[shim::kWhyMax];
  bool missing = false;
  if (!shim::backend_dir_trusted(root.get(), dir.c_str(), why, sizeof why, &missing) && !missing)
    return fail(fmt::format("backend-dir {}: {}", dir, why));
  return {};
}

Result<void> relink_all(int dirfd, const std::string& dir, const std::string& target,
                        std::vector<std::string>* changed) {
  for (auto name : shim::kNames) {
    auto r = replace_link(dirfd, dir, std::string(name), target);
    if (!r) return std::unexpected(r.error());
    if (*r && changed) changed->emplace_back(name);
  }
  return {};
}

Result<std::vector<std::string>> install(const ShimOptions& opts, int dirfd,
                                         const std::string& shim_path) {
  std::vector<std::string> changed;
  auto plan = plan_install(dirfd, shim_path, opts.names_only);
  if (!plan) return std::unexpected(plan.error());
  auto settings = want_settings(dirfd, opts.bin_dir, opts, plan->zero_bypass);
  if (!settings) return std::unexpected(settings.error());
  if (auto r = check_backend_dir(*settings, opts.bin_dir); !r) return std::unexpected(r.error());
  // The binary goes in before any name or script points at it.
  if (plan->copy_shim) {
    if (auto r = copy_shim(dirfd, opts.bin_dir, shim_path); !r) return std::unexpected(r.error());
    changed.emplace_back(shim::kShimFile);
  }
  // Each call works at every step: the real binaries are kept before the
  // settings point the shim at them, and those settings are in place before
  // a script in the binaries' place runs the shim.
  for (const auto& st : plan->staged)
    if (st.kind == StagedKind::real)
      if (auto r = stash_staged(dirfd, opts.bin_dir, st); !r) return std::unexpected(r.error());
  if (auto r = store_settings(dirfd, opts.bin_dir, *settings); !r)
    return std::unexpected(r.error());
  if (plan->zero_bypass) {
    auto canon = canonical_dir(opts.bin_dir);
    if (!canon) return std::unexpected(canon.error());
    for (const auto& st : plan->staged) {
      if (st.kind != StagedKind::real) continue;
      if (auto r = pad_staged(dirfd, opts.bin_dir, *canon, st); !r)
        return std::unexpected(r.error());
      changed.push_back(fmt::format("{} kept in {}/", st.name, shim::kBackendStore));
    }
  }
  if (auto r = relink_all(dirfd, opts.bin_dir, shim::kShimFile, &changed); !r)
    return std::unexpected(r.error());
  return changed;
}

}  // namespace

int run_shim_install(const ShimOptions& opts) {
  if (!opts.dry_run && ::geteuid() != 0)
    return error_exit("shim install writes to the bin dir and needs root");
  auto shim_path = find_shim(opts);
  if (!shim_path) return error_exit(shim_path.error().message);
  auto dirfd = open_bin_dir(opts.bin_dir);
  if (!dirfd) return error_exit(dirfd.error().message);

  if (opts.dry_run) {
    auto plan = plan_install(dirfd->get(), *shim_path, opts.names_only);
    if (!plan) return error_exit(plan.error().message);
    auto settings = want_settings(dirfd->get(), opts.bin_dir, opts, plan->zero_bypass);
    if (!settings) return error_exit(settings.error().message);
    if (auto r = check_backend_dir(*settings, opts.bin_dir); !r)
      return error_exit(r.error().message);
    if (plan->copy_shim)
      fmt::print("copy {} to {}/{}\n", *shim_path, opts.bin_dir, shim::kShimFile);
    bool padding = false;
    for (const auto& st : plan->staged)
      if (st.kind == StagedKind::real) {
        padding = true;
        fmt::print(
            "keep {0}/{1} in {0}/{2}/{1}; write in its place a #!{0}/{3} script of its size "
            "({4} bytes), mode and mtime\n",
            opts.bin_dir, st.name, shim::kBackendStore, shim::kShimFile, st.st.st_size);
      }
    fmt::print("record settings in {}/{} (backend-dir {})\n", opts.bin_dir, shim::kSettingsFile,
               settings->backend_dir[0] ? settings->backend_dir : opts.bin_dir.c_str());
    for (const auto& name : plan->relink)
      fmt::print("link {}/{} -> {} (was {})\n", opts.bin_dir, name, shim::kShimFile,
                 link_target(dirfd->get(), name).value_or("not a link"));
    if (!plan->copy_shim && plan->relink.empty() && !padding)
      fmt::print("the shim is installed; nothing to change\n");
    return kExitOk;
  }
  auto changed = install(opts, dirfd->get(), *shim_path);
  if (!changed) return error_exit(changed.error().message);
  // An install by hand ends what an uninstall asked of `shim watch`.
  if (::unlinkat(dirfd->get(), shim::kUninstalledFile, 0) == 0)
    changed->emplace_back(fmt::format("{} removed", shim::kUninstalledFile));
  if (changed->empty())
    fmt::print("{}: the shim was installed already\n", opts.bin_dir);
  else
    fmt::print("{}: installed ({})\n", opts.bin_dir, fmt::join(*changed, ", "));
  return kExitOk;
}

int run_shim_uninstall(const ShimOptions& opts) {
  if (!opts.dry_run && ::geteuid() != 0)
    return error_exit("shim uninstall writes to the bin dir and needs root");
  auto dirfd = open_bin_dir(opts.bin_dir);
  if (!dirfd) return error_exit(dirfd.error().message);

  // Put back what k0s itself links: xtables-<mode>-multi beside the names.
  Mode mode;
  // A state the shim would refuse is not the shim's decision: detect again.
  if (auto state = load_state(dirfd->get(), opts.bin_dir); state && *state) {
    mode = (*state)->mode;
  } else {
    auto det = detect_now(DetectOptions{});
    if (!det) return error_exit(det.error().message);
    mode = det->decision.mode;
  }
  auto settings = load_settings(dirfd->get(), opts.bin_dir);
  if (!settings) return error_exit(settings.error().message);
  const std::string backend = fmt::format("xtables-{}-multi", to_string(mode));
  // The zero-bypass form's store empties back into the bin dir: the names
  // link beside them again, as k0s links them.
  std::vector<Staged> padded;
  for (Mode m : {Mode::nft, Mode::legacy})
    if (Staged st = read_staged(dirfd->get(), m); st.kind == StagedKind::padded)
      padded.push_back(st);
  const std::string_view have_backend = settings->backend_dir;
  const bool store_backend = have_backend.ends_with(std::string("/") + shim::kBackendStore);
  const std::string target = settings->backend_dir[0] && !store_backend
                                 ? fmt::format("{}/{}", settings->backend_dir, backend)
                                 : backend;

  if (opts.dry_run) {
    for (auto name : shim::kNames)
      if (link_target(dirfd->get(), std::string(name)) == std::string(shim::kShimFile))
        fmt::print("link {}/{} -> {}\n", opts.bin_dir, name, target);
    for (const auto& st : padded)
      fmt::print("put {0}/{1}/{2} back in place of the script {0}/{2}\n", opts.bin_dir,
                 shim::kBackendStore, st.name);
    fmt::print("remove {}/{{{}, {}, {}, {}}}\n", opts.bin_dir, shim::kShimFile, shim::kSettingsFile,
               shim::kStateFile, shim::kLockFile);
    fmt::print("record {}/{} (shim watch leaves the names alone)\n", opts.bin_dir,
               shim::kUninstalledFile);
    return kExitOk;
  }
  // Only names that still point at the shim: k0s may have relinked some already.
  // First the marker: a running `shim watch` sees the names change next and
  // must find it, or it would put the shim straight back.
  static constexpr std::string_view kMarker =
      "iptmode shim uninstall was run here: iptmode shim watch does not reinstall the shim while "
      "this file exists; iptmode shim install removes it\n";
  if (int err = shim::write_atomic(dirfd->get(), shim::kUninstalledFile, kMarker.data(),
                                   kMarker.size(), 0644))
    return error_exit(
        fmt::format("{}/{}: {}", opts.bin_dir, shim::kUninstalledFile, std::strerror(err)));
  // The real binaries first: names k0s linked to the scripts then run them.
  for (const auto& st : padded)
    if (auto r = restore_staged(dirfd->get(), opts.bin_dir, st); !r)
      return error_exit(r.error().message);
  for (auto name : shim::kNames) {
    if (link_target(dirfd->get(), std::string(name)) != std::string(shim::kShimFile)) continue;
    if (auto r = replace_link(dirfd->get(), opts.bin_dir, std::string(name), target); !r)
      return error_exit(r.error().message);
  }
  for (const char* f : {shim::kShimFile, shim::kSettingsFile, shim::kStateFile, shim::kLockFile})
    if (::unlinkat(dirfd->get(), f, 0) != 0 && errno != ENOENT)
      return error_exit(fmt::format("{}/{}: {}", opts.bin_dir, f, std::strerror(errno)));
  if (!padded.empty()) remove_store_if_empty(dirfd->get());
  (void)::fsync(dirfd->get());  // best effort: the unlinks are done either way
  fmt::print("{}: uninstalled; the names link to {}\n", opts.bin_dir, target);
  return kExitOk;
}

int run_shim_watch(const ShimOptions& opts) {
  if (::geteuid() != 0) return error_exit("shim watch writes to the bin dir and needs root");
  auto shim_path = find_shim(opts);
  if (!shim_path) return error_exit(shim_path.error().message);
  auto dirfd = open_bin_dir(opts.bin_dir);
  if (!dirfd) return error_exit(dirfd.error().message);

  UniqueFd ino(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ino) return error_exit(fmt::format("inotify: {}", std::strerror(errno)));
  if (::inotify_add_watch(ino.get(), opts.bin_dir.c_str(),
                          IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                              IN_DELETE_SELF | IN_MOVE_SELF) < 0)
    return error_exit(fmt::format("{}: inotify: {}", opts.bin_dir, std::strerror(errno)));

  // Only a vanished directory ends the watch: any other install error is
  // one line, and the next event tries again. After a `shim uninstall` (its
  // marker) the names are left alone until `shim install` removes it.
  bool paused = false;
  auto ensure = [&]() {
    if (::faccessat(dirfd->get(), shim::kUninstalledFile, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!paused)
        fmt::print(stderr,
                   "iptmode: {0}: `iptmode shim uninstall` left {0}/{1}: not reinstalling the "
                   "shim; `iptmode shim install` resumes, `systemctl stop iptmode-shim-watch` "
                   "stops this watch\n",
                   opts.bin_dir, shim::kUninstalledFile);
      paused = true;
      return;
    }
    if (paused)
      fmt::print("{}: {} is gone: watching again\n", opts.bin_dir, shim::kUninstalledFile);
    paused = false;
    auto changed = install(opts, dirfd->get(), *shim_path);
    if (!changed)
      fmt::print(stderr, "iptmode: {}; trying again on the next change\n", changed.error().message);
    else if (!changed->empty())
      fmt::print("reinstalled: {}\n", fmt::join(*changed, ", "));
    (void)std::fflush(stdout);
  };
  ensure();
  fmt::print("watching {}\n", opts.bin_dir);
  (void)std::fflush(stdout);

  // k0s removes each name and then links it again: acting between the two
  // would make its symlink() fail. So wait for a quiet moment after the last
  // event, then put back whatever is not the shim.
  constexpr int kQuietMs = 250;
  alignas(inotify_event) char buf[16 * 1024];
  bool pending = false;
  for (;;) {
    pollfd p{ino.get(), POLLIN, 0};
    int r = ::poll(&p, 1, pending ? kQuietMs : -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return error_exit(fmt::format("poll: {}", std::strerror(errno)));
    }
    if (r == 0) {
      pending = false;
      ensure();
      continue;
    }
    ssize_t n = ::read(ino.get(), buf, sizeof buf);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return error_exit(fmt::format("inotify read: {}", std::strerror(errno)));
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
        return error_exit(fmt::format(
            "{}: the directory went away; restart the watch when it is back", opts.bin_dir));
      pending = true;
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
}

}  // namespace iptmode::cli
