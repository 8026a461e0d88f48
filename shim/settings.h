// The shim's settings, DIR/iptmode-shim.conf, written by `iptmode shim
// install` and editable by the operator:
//
//   detector = /usr/sbin/iptmode
//       run as `detector detect --print-state` when there is no state
//   backend-dir = /var/lib/k0s/bin
//       where xtables-<mode>-multi live; default: the shim's own dir
//   version-check = warn | enforce | off
//
// A missing file means the defaults. Parsing allocates nothing.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/version_policy.h"

namespace iptmode::shim {

inline constexpr const char* kDefaultDetector = "/usr/sbin/iptmode";
inline constexpr std::size_t kSettingsMax = 4096;

struct Settings {
  char detector[256] = {};
  char backend_dir[256] = {};  // empty: the shim's own directory
  VersionCheck version_check = VersionCheck::warn;
};

Settings default_settings();

// On error, `*bad_line` is the 1-based line that is wrong.
bool parse_settings(std::string_view text, Settings& out, int* bad_line);

}  // namespace iptmode::shim
