// libFuzzer target: shim::parse_settings on arbitrary bytes. What it accepts
// must hold the promises of docs/security.md: absolute paths, no `..`
// component, NUL-terminated within their arrays, a detector timeout in
// range; written back by format_settings (what `iptmode shim install`
// records through shim/files.h's write_settings), they read the same.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "shim/settings.h"

using namespace iptmode;
using namespace iptmode::shim;

namespace {

bool has_dotdot(std::string_view v) {
  while (!v.empty()) {
    auto slash = v.find('/');
    if (v.substr(0, slash) == "..") return true;
    if (slash == std::string_view::npos) break;
    v.remove_prefix(slash + 1);
  }
  return false;
}

void check_path(const char* p, std::size_t cap, bool may_be_empty) {
  const void* nul = std::memchr(p, '\0', cap);
  if (nul == nullptr) __builtin_trap();
  const std::string_view v(p, static_cast<std::size_t>(static_cast<const char*>(nul) - p));
  if (v.empty()) {
    if (!may_be_empty) __builtin_trap();
    return;
  }
  if (v.front() != '/' || has_dotdot(v)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Settings s;
  int bad_line = -1;
  if (parse_settings(text, s, &bad_line)) {
    check_path(s.detector, sizeof s.detector, false);
    check_path(s.backend_dir, sizeof s.backend_dir, true);
    const int vc = static_cast<int>(s.version_check);
    if (vc < 0 || vc > 2) __builtin_trap();
    if (s.detector_timeout < 1 || s.detector_timeout > kDetectorTimeoutMax) __builtin_trap();
    // Written back as `iptmode shim install` writes settings, they read the same.
    char out[kSettingsMax];
    const std::size_t n = format_settings(s, out, sizeof out);
    if (n == 0) __builtin_trap();  // parsed settings always fit
    Settings back;
    int line = 0;
    if (!parse_settings(std::string_view(out, n), back, &line) || !(back == s)) __builtin_trap();
    // A buffer one byte short gives 0, never a cut file.
    if (format_settings(s, out, n) != 0) __builtin_trap();
  } else {
    if (bad_line < 1) __builtin_trap();  // an error names its line
  }
  // A null bad_line is allowed.
  Settings t;
  (void)parse_settings(text, t, nullptr);
  return 0;
}
