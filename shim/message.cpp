#include "shim/message.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace iptmode::shim {
namespace {

void emit(const char* prefix, const char* fmt, va_list ap) {
  char line[1024];
  int n = std::snprintf(line, sizeof line, "%s", prefix);
  int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n) - 1, fmt, ap);
  std::size_t len = static_cast<std::size_t>(n) + (m < 0 ? 0 : static_cast<std::size_t>(m));
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  // A message is one line: fold any newline that came from a file name.
  for (std::size_t i = 0; i + 1 < len; ++i)
    if (line[i] == '\n') line[i] = ' ';
  (void)!::write(STDERR_FILENO, line, len);
}

}  // namespace

void refuse(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("iptmode-shim: ", fmt, ap);
  va_end(ap);
  std::_Exit(kExitRefused);
}

void format_line(char* out, std::size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  (void)std::vsnprintf(out, cap, fmt, ap);
  va_end(ap);
}

void warn(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("iptmode-shim: warning: ", fmt, ap);
  va_end(ap);
}

}  // namespace iptmode::shim
