#include "core/fd.h"

#include <fcntl.h>

#include <cerrno>

namespace iptmode {

Result<std::string> read_link_at(int dirfd, const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlinkat(dirfd, path.c_str(), buf, sizeof buf);
  if (n < 0) return errno_fail(path);
  if (static_cast<std::size_t>(n) >= sizeof buf)
    return fail(path + ": link target too long", ENAMETOOLONG);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace iptmode
