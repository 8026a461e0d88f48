#include "audit/textfile.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/fd.h"
#include "core/file_type.h"
#include "shim/files.h"

namespace iptmode {

Result<void> write_textfile(const std::string& path, const std::string& text) {
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return fail(fmt::format("{}: {}", dir, std::strerror(errno)));
  // The rename would put a regular file in place of whatever is there: a
  // device (/dev/full), a FIFO, a socket. A symlink, even to a regular file,
  // is refused too: the rename would replace the link, and writing through
  // it would let the link's owner steer what root writes.
  struct stat st {};
  if (::fstatat(dirfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
    return fail(
        fmt::format("--prometheus {}: {}, not a regular file; name a regular file (or one "
                    "not there yet) in node_exporter's textfile directory",
                    path, describe_type(st.st_mode)));
  if (int err = shim::write_atomic(dirfd.get(), name.c_str(), text.data(), text.size(), 0644))
    return fail(fmt::format("{}: {}", path, std::strerror(err)));
  return {};
}

}  // namespace iptmode
