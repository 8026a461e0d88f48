#include "shim/settings.h"

#include <cstring>

namespace iptmode::shim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

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
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto eq = line.find('=');
    bool ok = eq != std::string_view::npos;
    if (ok) {
      std::string_view key = trim(line.substr(0, eq));
      std::string_view value = trim(line.substr(eq + 1));
      if (key == "detector")
        ok = copy_path(value, s.detector, sizeof s.detector);
      else if (key == "backend-dir")
        ok = copy_path(value, s.backend_dir, sizeof s.backend_dir);
      else if (key == "version-check") {
        if (value == "warn")
          s.version_check = VersionCheck::warn;
        else if (value == "enforce")
          s.version_check = VersionCheck::enforce;
        else if (value == "off")
          s.version_check = VersionCheck::off;
        else
          ok = false;
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

}  // namespace iptmode::shim
