// The real Debian roots .ci/setup builds with mmdebstrap (bullseye =
// iptables 1.8.7, bookworm = 1.8.9, trixie = 1.8.11), for tests against
// real iptables builds.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

namespace iptmode::test {

inline constexpr std::string_view kRealSuites[] = {"bullseye", "bookworm", "trixie"};

// IPTMODE_ROOTS_DIR, else /var/cache/iptmode-roots.
inline std::filesystem::path real_roots_dir() {
  const char* dir = std::getenv("IPTMODE_ROOTS_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/var/cache/iptmode-roots";
}

// The cached root of `suite`. Missing (no network to Debian's archive when
// .ci/setup ran): outside CI the test is skipped with a MESSAGE, under
// CI=true it fails, as root tests do without root.
inline std::optional<std::filesystem::path> real_root(std::string_view suite) {
  const auto root = real_roots_dir() / std::string(suite);
  if (::access((root / "usr/sbin/xtables-nft-multi").c_str(), X_OK) == 0) return root;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string_view(ci) == "true") {
    FAIL_CHECK("no real " << suite << " root at " << root << ": run .ci/setup with network "
                          << "access to Debian's archive");
  } else {
    MESSAGE("skipped: no real " << suite << " root at " << root << " (.ci/setup builds it)");
  }
  return std::nullopt;
}

}  // namespace iptmode::test
