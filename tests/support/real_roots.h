// The real Debian roots .ci/setup builds with mmdebstrap (bullseye =
// iptables 1.8.7, bookworm = 1.8.9, trixie = 1.8.11), for tests against
// real iptables builds.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/require_root.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

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

// A writable copy of a cached root (the cache is never changed in place).
struct RootCopy {
  TempDir tmp;
  std::filesystem::path root;
  explicit RootCopy(const std::filesystem::path& from) : root(tmp.path() / "root") {
    run_ok({"cp", "-a", from.string(), root.string()});
  }
  RunResult chroot(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"chroot", root.string()});
    return run_ok(argv);
  }
};

// A copy of `suite`'s cached root, for a test that changes it; null when the
// test is skipped (not root, or no such root: see real_root).
inline std::unique_ptr<RootCopy> real_root_copy(std::string_view suite) {
  if (!require_root()) return nullptr;
  auto cached = real_root(suite);
  if (!cached) return nullptr;
  return std::make_unique<RootCopy>(*cached);
}

}  // namespace iptmode::test
