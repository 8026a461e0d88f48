#include "detect/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "detect/fd.h"

namespace iptmode {
namespace {

std::unexpected<Error> errno_error(const std::string& path) {
  int e = errno;
  return fail(fmt::format("{}: {}", path, std::strerror(e)), e);
}

}  // namespace

Result<std::string> read_file_bounded(int dirfd, const std::string& path, std::size_t limit,
                                      bool follow_link) {
  const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (follow_link ? 0 : O_NOFOLLOW);
  UniqueFd fd(::openat(dirfd, path.c_str(), flags));
  if (!fd) return errno_error(path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(path);
  // /proc files report size 0 but are regular; FIFOs, devices and sockets
  // could block or never end.
  if (!S_ISREG(st.st_mode)) return fail(fmt::format("{}: not a regular file", path));

  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > limit)
      return fail(fmt::format("{}: larger than {} bytes", path, limit));
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace iptmode
