// libFuzzer target: parse_config (/etc/iptmode/iptmode.conf) on arbitrary
// bytes. Errors are values. An accepted config holds only valid process
// names and an absolute backend-dir that the shim's settings would take as
// it is (no NUL: `shim install` copies it as a C string), and written back
// as `key = value` lines it reads the same.
#include <cstddef>
#include <cstdint>
#include <string>
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
  if (!cfg->backend_dir.empty()) {
    if (cfg->backend_dir.front() != '/') __builtin_trap();
    if (cfg->backend_dir.find('\0') != std::string::npos) __builtin_trap();
  }

  std::string again_text = "mode = ";
  again_text += cfg->mode ? to_string(*cfg->mode) : "auto";
  if (cfg->version_check_set)
    again_text += "\nversion-check = " + std::string(to_string(cfg->version_check));
  if (!cfg->components.empty()) {
    again_text += "\ncomponents =";
    for (const auto& c : cfg->components) again_text += " " + c + ",";
  }
  if (!cfg->backend_dir.empty()) again_text += "\nbackend-dir = " + cfg->backend_dir;
  again_text += '\n';
  auto again = parse_config(again_text, "again");
  if (!again || again->mode != cfg->mode || again->version_check != cfg->version_check ||
      again->version_check_set != cfg->version_check_set || again->components != cfg->components ||
      again->backend_dir != cfg->backend_dir)
    __builtin_trap();
  return 0;
}
