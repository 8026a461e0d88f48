// What to do when a backend's version is known bad or older than the newest
// iptables-nft writer: the `version-check` setting of iptmode.conf and of the
// shim's settings. Header-only and allocation-free: the static shim parses it.
#pragma once

#include <optional>
#include <string_view>

namespace iptmode {

enum class VersionCheck { warn, enforce, off };

// "warn", "enforce", "off".
inline std::string_view to_string(VersionCheck v) {
  switch (v) {
    case VersionCheck::warn:
      return "warn";
    case VersionCheck::enforce:
      return "enforce";
    case VersionCheck::off:
      return "off";
  }
  return "warn";
}

inline std::optional<VersionCheck> parse_version_check(std::string_view s) {
  if (s == "warn") return VersionCheck::warn;
  if (s == "enforce") return VersionCheck::enforce;
  if (s == "off") return VersionCheck::off;
  return std::nullopt;
}

}  // namespace iptmode
