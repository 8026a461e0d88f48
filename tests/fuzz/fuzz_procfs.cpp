// libFuzzer target: the pure /proc parsers. split_nul on the whole input;
// env_value with the input split at its first byte (the key's length); then
// parse_ns_link and base_name on the rest.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "detect/procfs.h"

using namespace iptmode;

namespace {

// As getenv would: the first entry that is exactly KEY=...
std::optional<std::string_view> reference_env(std::string_view environ, std::string_view key) {
  while (!environ.empty()) {
    auto nul = environ.find('\0');
    std::string_view entry = environ.substr(0, nul);
    if (entry.size() > key.size() && entry.substr(0, key.size()) == key && entry[key.size()] == '=')
      return entry.substr(key.size() + 1);
    if (nul == std::string_view::npos) break;
    environ.remove_prefix(nul + 1);
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);

  // split_nul: the fields joined by NUL are the input without one final NUL.
  const auto fields = split_nul(all);
  if (all.empty()) {
    if (!fields.empty()) __builtin_trap();
  } else {
    std::string joined;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) joined += '\0';
      joined += fields[i];
    }
    std::string_view want = all;
    if (want.back() == '\0') want.remove_suffix(1);
    if (joined != want) __builtin_trap();
  }

  if (size == 0) return 0;
  const std::size_t key_len = std::min<std::size_t>(data[0], size - 1);
  const std::string_view key = all.substr(1, key_len);
  const std::string_view rest = all.substr(1 + key_len);

  const auto got = env_value(rest, key);
  const auto want = reference_env(rest, key);
  if (got.has_value() != want.has_value()) __builtin_trap();
  if (got && *got != *want) __builtin_trap();

  if (auto ns = parse_ns_link(rest)) {
    if (rest.empty() || rest.back() != ']' || rest.find(":[") == std::string_view::npos)
      __builtin_trap();
  }
  (void)parse_ns_link(key);

  const std::string_view base = base_name(rest);
  // The base name lies inside the path it came from and has no '/', unless
  // the path is all slashes.
  if (!base.empty() &&
      (base.data() < rest.data() || base.data() + base.size() > rest.data() + rest.size()))
    __builtin_trap();
  if (base.find('/') != std::string_view::npos && base != "/") __builtin_trap();
  (void)base_name(key);
  return 0;
}
