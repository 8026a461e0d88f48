#include "detect/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/fd.h"

namespace iptmode {

Result<UniqueFd> reopen_regular(UniqueFd path_fd, const std::string& name) {
  struct stat st {};
  if (::fstat(path_fd.get(), &st) != 0) return errno_fail(name);
  if (S_ISLNK(st.st_mode)) return sys_fail(name, ELOOP);
  // /proc files report size 0 but are regular; FIFOs, devices and sockets
  // could block, never end, or act on being opened.
  if (!S_ISREG(st.st_mode))
    return fail(fmt::format("{}: {}, not a regular file", name, describe_type(st.st_mode)), EINVAL);
  const std::string self = fmt::format("/proc/self/fd/{}", path_fd.get());
  UniqueFd fd(::open(self.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) return errno_fail(name);
  return fd;
}

Result<std::string> read_file_bounded(int dirfd, const std::string& path, std::size_t limit,
                                      bool follow_link) {
  UniqueFd path_fd(
      ::openat(dirfd, path.c_str(), O_PATH | O_CLOEXEC | (follow_link ? 0 : O_NOFOLLOW)));
  if (!path_fd) return errno_fail(path);
  auto opened = reopen_regular(std::move(path_fd), path);
  if (!opened) return std::unexpected(opened.error());
  UniqueFd fd = std::move(*opened);

  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_fail(path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > limit)
      return fail(fmt::format("{}: larger than {} bytes", path, limit));
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace iptmode
