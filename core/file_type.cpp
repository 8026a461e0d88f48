#include "core/file_type.h"

#include <sys/stat.h>

namespace iptmode {

std::string_view describe_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISREG(mode) && (mode & 0111) == 0) return "a regular file without an execute bit";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

}  // namespace iptmode
