// iptables versions as they appear in `iptables -V`, in binaries and in
// package names.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace iptmode {

struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const Version&) const = default;
};

// Accepts "1.8.9", "v1.8.10", "1.8" (patch 0), "1.8.4-17.el8" (the package
// release after '-' is dropped) and "iptables v1.8.7 (nf_tables)" (the first
// version-looking word). Rejects anything else, including numbers that do not
// fit in an int.
std::optional<Version> parse_version(std::string_view s);

std::string to_string(const Version& v);

}  // namespace iptmode
