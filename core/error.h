// Errors are values: every fallible function returns Result<T>. The command
// layer alone turns an Error into a message and an exit code.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace iptmode {

struct Error {
  // One line for an operator: names the file or object and, where there is
  // one, the fix. No trailing newline.
  std::string message;
  // The errno behind it, where there is one, for callers that treat some
  // causes (ENOENT, ESRCH) as ordinary.
  int errnum = 0;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message, int errnum = 0) {
  return std::unexpected<Error>(Error{std::move(message), errnum});
}

// "<what>: <strerror(e)>", carrying `e`: the one form of a failed system call.
std::unexpected<Error> sys_fail(std::string_view what, int e);

// sys_fail with the current errno.
std::unexpected<Error> errno_fail(std::string_view what);

}  // namespace iptmode
