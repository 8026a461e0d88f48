#include "shim/settings.h"

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

}  // namespace iptmode::shim
