#include "core/error.h"

#include <cerrno>
#include <cstring>

namespace iptmode {

std::unexpected<Error> sys_fail(std::string_view what, int e) {
  std::string message(what);
  message += ": ";
  message += std::strerror(e);
  return fail(std::move(message), e);
}

std::unexpected<Error> errno_fail(std::string_view what) {
  return sys_fail(what, errno);
}

}  // namespace iptmode
