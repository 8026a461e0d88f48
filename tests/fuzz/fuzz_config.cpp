// libFuzzer target: parse_config (/etc/iptmode/iptmode.conf) on arbitrary
// bytes. Errors are values; an accepted config holds only valid names and an
// absolute backend-dir.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detect/config.h"

using namespace iptmode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = parse_config(text, "/etc/iptmode/iptmode.conf");
  if (!cfg) {
    if (cfg.error().message.empty()) __builtin_trap();
    return 0;
  }
  for (const auto& c : cfg->components) {
    if (c.empty() || c.size() > 255) __builtin_trap();
    for (char ch : c)
      if (ch == '/' || static_cast<unsigned char>(ch) < 0x21 ||
          static_cast<unsigned char>(ch) > 0x7e)
        __builtin_trap();
  }
  if (!cfg->backend_dir.empty() && cfg->backend_dir.front() != '/') __builtin_trap();
  (void)to_string(cfg->version_check);
  return 0;
}
