#include "shim/settings.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "core/text.h"

namespace iptmode::shim {
namespace {

// A ".." component, not "..b": the path must say where it goes.
bool has_dotdot(std::string_view v) {
  while (!v.empty()) {
    auto slash = v.find('/');
    if (v.substr(0, slash) == "..") return true;
    if (slash == std::string_view::npos) break;
    v.remove_prefix(slash + 1);
  }
  return false;
}

// An absolute path without "..": the shim execs what it names.
bool copy_path(std::string_view v, char* dst, std::size_t cap) {
  if (v.empty() || v.front() != '/' || v.size() >= cap || has_dotdot(v) ||
      v.find('\0') != std::string_view::npos)
    return false;
  std::memcpy(dst, v.data(), v.size());
  dst[v.size()] = '\0';
  return true;
}

}  // namespace

Settings default_settings() {
  Settings s;
  std::memcpy(s.detector, kDefaultDetector, std::strlen(kDefaultDetector) + 1);
  return s;
}

bool parse_settings(std::string_view text, Settings& out, int* bad_line) {
  Settings s = default_settings();
  int lineno = 0;
  while (!text.empty()) {
    ++lineno;
    const ConfigLine cl = parse_config_line(next_line(text));
    if (cl.kind == ConfigLine::blank) continue;
    bool ok = cl.kind == ConfigLine::pair;
    if (ok) {
      if (cl.key == "detector") {
        ok = copy_path(cl.value, s.detector, sizeof s.detector);
      } else if (cl.key == "backend-dir") {
        ok = copy_path(cl.value, s.backend_dir, sizeof s.backend_dir);
      } else if (cl.key == "detector-timeout") {
        int t = 0;
        auto [p, ec] = std::from_chars(cl.value.data(), cl.value.data() + cl.value.size(), t);
        ok = ec == std::errc{} && p == cl.value.data() + cl.value.size() && t >= 1 &&
             t <= kDetectorTimeoutMax;
        if (ok) s.detector_timeout = t;
      } else if (cl.key == "version-check") {
        auto v = parse_version_check(cl.value);
        ok = v.has_value();
        if (ok) s.version_check = *v;
      } else {
        ok = false;
      }
    }
    if (!ok) {
      if (bad_line) *bad_line = lineno;
      return false;
    }
  }
  out = s;
  return true;
}

std::size_t format_settings(const Settings& s, char* buf, std::size_t cap) {
  std::size_t len = 0;
  auto put = [&](const char* a, const char* b) {
    if (len >= cap) return;
    int n = std::snprintf(buf + len, cap - len, "%s%s", a, b);
    len =
        n < 0 || static_cast<std::size_t>(n) >= cap - len ? cap : len + static_cast<std::size_t>(n);
  };
  put("# iptmode-shim settings, written by `iptmode shim install`.\n", "");
  put("# The detector the shim runs when no decision is recorded yet.\ndetector = ", s.detector);
  if (s.backend_dir[0]) put("\n# Where xtables-<mode>-multi live.\nbackend-dir = ", s.backend_dir);
  put("\n# warn | enforce | off\nversion-check = ", to_string(s.version_check).data());
  if (s.detector_timeout != kDetectorTimeoutDefault) {
    char t[16];
    (void)std::snprintf(t, sizeof t, "%d", s.detector_timeout);
    put("\n# Seconds the first-call detector may take.\ndetector-timeout = ", t);
  }
  put("\n", "");
  return len >= cap ? 0 : len;
}

bool operator==(const Settings& a, const Settings& b) {
  return std::strcmp(a.detector, b.detector) == 0 &&
         std::strcmp(a.backend_dir, b.backend_dir) == 0 && a.version_check == b.version_check &&
         a.detector_timeout == b.detector_timeout;
}

}  // namespace iptmode::shim
