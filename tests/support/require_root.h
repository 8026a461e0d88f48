// The check every test that needs root starts with. Not root: outside CI the
// test is skipped, under CI=true it fails, because CI must run every test.
// A skip prints kSkipNotRoot, which CMakeLists.txt gives ctest as the
// SKIP_REGULAR_EXPRESSION: ctest shows the test as skipped, never as passed.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <doctest/doctest.h>

namespace iptmode::test {

inline constexpr std::string_view kSkipNotRoot = "skipped: root tests need root";

// True when the test may go on; return early on false.
inline bool require_root() {
  if (::geteuid() == 0) return true;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string_view(ci) == "true") {
    FAIL_CHECK("root tests need root; CI must run as root");
  } else {
    MESSAGE(kSkipNotRoot << " (run as root, or in CI)");
  }
  return false;
}

}  // namespace iptmode::test
