// libFuzzer target: parse_k3s_config and k3s_config_flags (k3s's
// config.yaml as flags) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detect/k3s_config.h"

using namespace iptmode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto values = parse_k3s_config(text);
  if (!values) return 0;
  // The same file twice: what the second sets replaces or extends the first.
  const auto once = k3s_config_flags({*values});
  const auto twice = k3s_config_flags({*values, *values});
  for (const auto& f : once)
    if (!f.starts_with('-') || f.find('=') == std::string::npos) __builtin_trap();
  if (twice.size() < once.size()) __builtin_trap();
  return 0;
}
