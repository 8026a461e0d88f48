// The shim's only output of its own: one line on stderr, always starting
// with "iptmode-shim:". Formatting uses a stack buffer, never the heap.
#pragma once

namespace iptmode::shim {

inline constexpr int kExitRefused = 1;

[[noreturn, gnu::format(printf, 1, 2)]] void refuse(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void warn(const char* fmt, ...);

}  // namespace iptmode::shim
