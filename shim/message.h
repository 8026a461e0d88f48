// The shim's only output of its own: one line on stderr, always starting
// with "iptmode-shim:". Formatting uses a stack buffer, never the heap.
#pragma once

#include <cstddef>

namespace iptmode::shim {

inline constexpr int kExitRefused = 1;

[[noreturn, gnu::format(printf, 1, 2)]] void refuse(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void warn(const char* fmt, ...);

// printf into `out`; a line that does not fit is cut (it stays one line).
[[gnu::format(printf, 3, 4)]] void format_line(char* out, std::size_t cap, const char* fmt, ...);

}  // namespace iptmode::shim
