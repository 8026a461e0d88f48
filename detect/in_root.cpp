#include "detect/in_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "detect/file_read.h"

namespace iptmode {
namespace {

void push_components(std::deque<std::string>& queue, std::string_view path) {
  std::deque<std::string> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (!part.empty() && part != ".") parts.emplace_back(part);
  }
  queue.insert(queue.begin(), parts.begin(), parts.end());
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

// Relative to the root fd: "" for the root itself.
std::string relative(const std::vector<std::string>& parts) {
  std::string s = join(parts);
  return s == "/" ? "." : s.substr(1);
}

long openat2_confined(int root_fd, const std::string& rel, std::uint64_t flags) {
  struct open_how how {};
  how.flags = flags;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
}

}  // namespace

Result<UniqueFd> open_root(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_fail(dir, errno);
  return fd;
}

Result<Resolved> resolve_in_root(int root_fd, std::string_view path, Budget* budget) {
  Resolved out;
  std::vector<std::string> done;  // components known to be real directories (or the final file)
  std::deque<std::string> queue;
  push_components(queue, path);
  int links = 0;

  int steps = 0;
  while (!queue.empty()) {
    if (++steps > kMaxSteps) return sys_fail(join(done), ELOOP);
    if (budget != nullptr && !budget->spend())
      // Not the path: a maze's is kilobytes long.
      return fail(fmt::format("lookup stopped after {} steps: {}", steps, budget->why()),
                  kBudgetErrno);
    std::string part = std::move(queue.front());
    queue.pop_front();
    if (part == "..") {
      // The walk so far holds no symlinks, so `..` is lexical, and stops at the root.
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    std::string rel = relative(done);
    struct stat st {};
    if (::fstatat(root_fd, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return sys_fail(join(done), errno);

    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxLinks) return sys_fail(join(done), ELOOP);
      char target[4096];
      ssize_t n = ::readlinkat(root_fd, rel.c_str(), target, sizeof target);
      if (n < 0) return sys_fail(join(done), errno);
      if (static_cast<std::size_t>(n) >= sizeof target) return sys_fail(join(done), ENAMETOOLONG);
      std::string_view t(target, static_cast<std::size_t>(n));
      out.links.push_back(fmt::format("{} -> {}", join(done), t));
      done.pop_back();
      if (!t.empty() && t.front() == '/') done.clear();
      push_components(queue, t);
      continue;
    }
    if (!queue.empty() && !S_ISDIR(st.st_mode)) return sys_fail(join(done), ENOTDIR);
  }
  out.path = join(done);
  return out;
}

Result<Resolved> which_in_root(int root_fd, std::string_view path_var, std::string_view name,
                               Budget* budget) {
  if (name.empty() || name.find('/') != std::string_view::npos)
    return fail(fmt::format("\"{}\" is not a command name", name), EINVAL);
  int last_errno = ENOENT;
  std::string last_reason;  // what the last entry that named something held
  int searched = 0;
  while (searched < kMaxPathEntries) {
    auto colon = path_var.find(':');
    std::string_view dir = path_var.substr(0, colon);
    if (!dir.empty() && dir.front() == '/') {
      ++searched;
      auto r = resolve_in_root(root_fd, fmt::format("{}/{}", dir, name), budget);
      if (!r && r.error().errnum == kBudgetErrno)
        return fail(fmt::format("{} not found on PATH: {}", name, r.error().message), kBudgetErrno);
      if (r) {
        struct stat st {};
        std::string rel = r->path == "/" ? "." : r->path.substr(1);
        if (::fstatat(root_fd, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          last_errno = errno;
          last_reason.clear();
        } else if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
          return r;
        } else {
          // The type is the reason, not a permission: execvp would say EACCES.
          last_errno = EACCES;
          last_reason = fmt::format("{} is {}", r->path, describe_type(st.st_mode));
        }
      } else if (r.error().errnum != ENOENT && r.error().errnum != ENOTDIR) {
        last_errno = r.error().errnum;
        last_reason = r.error().message;
      }
    }
    if (colon == std::string_view::npos) break;
    path_var.remove_prefix(colon + 1);
  }
  return fail(fmt::format("{} not found on PATH: {}", name,
                          last_reason.empty() ? std::strerror(last_errno) : last_reason),
              last_errno);
}

Result<UniqueFd> open_path_in_root(int root_fd, const std::string& path) {
  std::string_view tail = path;
  while (!tail.empty() && tail.front() == '/') tail.remove_prefix(1);
  const std::string rel = tail.empty() ? std::string(".") : std::string(tail);
  // O_PATH: the type is checked before anything is opened for reading.
  const int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  long r = openat2_confined(root_fd, rel, flags);
  if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
    // No openat2 (kernel < 5.6, or a seccomp filter): the path is already
    // canonical, so a plain openat with a final O_NOFOLLOW is the fallback.
    r = ::openat(root_fd, rel.c_str(), flags);
  }
  if (r < 0) return sys_fail(path, errno);
  return UniqueFd(static_cast<int>(r));
}

Result<UniqueFd> open_in_root(int root_fd, const std::string& path) {
  auto path_fd = open_path_in_root(root_fd, path);
  if (!path_fd) return std::unexpected(path_fd.error());
  return reopen_regular(std::move(*path_fd), path);
}

Result<DirNames> list_dir_in_root(int root_fd, std::string_view path, std::size_t max) {
  auto r = resolve_in_root(root_fd, path);
  if (!r) return std::unexpected(r.error());
  auto path_fd = open_path_in_root(root_fd, r->path);
  if (!path_fd) return std::unexpected(path_fd.error());
  // Through the O_PATH descriptor: the directory checked is the one read.
  const int fd = ::openat(path_fd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_fail(r->path, errno);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int e = errno;
    ::close(fd);
    return sys_fail(r->path, e);
  }
  DirNames out;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = d->d_type;
    struct stat st {};
    if (type == DT_UNKNOWN && ::fstatat(::dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
    if (type == DT_DIR) continue;
    if (out.names.size() == max) {
      out.cut = true;
      break;
    }
    out.names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(out.names.begin(), out.names.end());
  return out;
}

}  // namespace iptmode
