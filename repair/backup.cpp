#include "repair/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "core/fd.h"

namespace iptmode::repair {
namespace {

Result<void> make_dir(const std::string& dir) {
  // Each missing parent too, all 0700: the rules name every service.
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return errno_fail(part);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return errno_fail(dir);
  if (!S_ISDIR(st.st_mode))
    return fail(fmt::format("{}: not a directory (give --backup-dir a directory)", dir));
  return {};
}

Result<void> write_new(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return errno_fail(path);
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_fail(path);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return errno_fail(path);
  return {};
}

}  // namespace

std::vector<BackupPart> backup_parts() {
  return {{Mode::nft, "ip", ".nft.rules"},
          {Mode::nft, "ip6", ".nft.ip6.rules"},
          {Mode::legacy, "ip", ".legacy.rules"},
          {Mode::legacy, "ip6", ".legacy.ip6.rules"}};
}

Result<std::string> write_backup(const Tools& t, const std::string& dir,
                                 const std::string& plan_json) {
  if (auto r = make_dir(dir); !r) return std::unexpected(r.error());
  std::vector<std::string> texts;
  for (const auto& part : backup_parts()) {
    auto s = run_save(t, part.mode, part.family, {"-c"});
    if (!s) return std::unexpected(s.error());
    texts.push_back(std::move(*s));
  }
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char stamp[32];
  (void)std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  // Two repairs in one second: the second gets "-2", never the first's files.
  for (int n = 1; n < 100; ++n) {
    const std::string prefix = n == 1 ? fmt::format("{}/iptmode-repair-{}", dir, stamp)
                                      : fmt::format("{}/iptmode-repair-{}-{}", dir, stamp, n);
    auto first = write_new(prefix + ".plan.json", plan_json);
    if (!first && first.error().errnum == EEXIST) continue;
    if (!first) return std::unexpected(first.error());
    const auto parts = backup_parts();
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (auto r = write_new(prefix + parts[i].suffix, texts[i]); !r)
        return std::unexpected(r.error());
    UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d) (void)::fsync(d.get());
    return prefix;
  }
  return fail(fmt::format("{}: too many backups in this second", dir));
}

}  // namespace iptmode::repair
