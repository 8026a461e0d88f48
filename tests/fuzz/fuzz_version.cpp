// libFuzzer target: parse_version on arbitrary bytes; whatever parses must
// print (to_string) as text that parses back to the same version.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/version.h"

using namespace iptmode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto v = parse_version(text);
  if (!v) return 0;
  if (v->major < 0 || v->minor < 0 || v->patch < 0) __builtin_trap();
  const std::string s = to_string(*v);
  const auto again = parse_version(s);
  if (!again || !(*again == *v)) __builtin_trap();
  // The forms iptables prints and packages use read the same.
  const auto printed = parse_version("iptables v" + s + " (nf_tables)");
  if (!printed || !(*printed == *v)) __builtin_trap();
  const auto package = parse_version(s + "-17.el8");
  if (!package || !(*package == *v)) __builtin_trap();
  return 0;
}
