#include "shim/message.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace iptmode::shim {
namespace {

// A message is one line, and what it quotes (argv[0], paths from files) is
// not the terminal's business: control bytes are shown as \xHH, so an ESC
// or CR in a name cannot rewrite what the operator reads.
std::size_t escape(const char* in, std::size_t len, char* out, std::size_t cap) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t o = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    const bool control = c < 0x20 || c == 0x7f;
    if (o + (control ? 4 : 1) > cap) break;
    if (!control) {
      out[o++] = static_cast<char>(c);
      continue;
    }
    out[o++] = '\\';
    out[o++] = 'x';
    out[o++] = kHex[c >> 4];
    out[o++] = kHex[c & 0xf];
  }
  return o;
}

void emit(const char* prefix, const char* fmt, va_list ap) {
  char raw[1024];
  int m = std::vsnprintf(raw, sizeof raw, fmt, ap);
  std::size_t len = m < 0 ? 0 : static_cast<std::size_t>(m);
  if (len >= sizeof raw) len = sizeof raw - 1;
  char line[2048];
  int n = std::snprintf(line, sizeof line, "%s", prefix);
  std::size_t used = static_cast<std::size_t>(n < 0 ? 0 : n);
  used += escape(raw, len, line + used, sizeof line - used - 1);
  line[used++] = '\n';
  (void)!::write(STDERR_FILENO, line, used);
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
