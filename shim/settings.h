// The shim's settings, DIR/iptmode-shim.conf, written by `iptmode shim
// install` and editable by the operator:
//
//   detector = /usr/sbin/iptmode
//       run as `detector detect --print-state` when there is no state
//   backend-dir = /var/lib/k0s/bin
//       where xtables-<mode>-multi live; default: the shim's own dir
//   version-check = warn | enforce | off
//   detector-timeout = 30
//       seconds the first-call detector may take before it is killed
//
// A missing file means the defaults. Parsing allocates nothing.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/version_policy.h"

namespace iptmode::shim {

inline constexpr const char* kDefaultDetector = "/usr/sbin/iptmode";
inline constexpr std::size_t kSettingsMax = 4096;
inline constexpr int kDetectorTimeoutDefault = 30;  // seconds
inline constexpr int kDetectorTimeoutMax = 300;

struct Settings {
  char detector[256] = {};
  char backend_dir[256] = {};  // empty: the shim's own directory
  VersionCheck version_check = VersionCheck::warn;
  int detector_timeout = kDetectorTimeoutDefault;  // 1 .. kDetectorTimeoutMax
};

Settings default_settings();

// On error, `*bad_line` is the 1-based line that is wrong.
bool parse_settings(std::string_view text, Settings& out, int* bad_line);

// The file's bytes for `s`, with a comment per key; returns their length, 0
// if buf is too small. Whether they read back as `s` is write_settings'
// check (shim/files.h).
std::size_t format_settings(const Settings& s, char* buf, std::size_t cap);

bool operator==(const Settings& a, const Settings& b);

}  // namespace iptmode::shim
