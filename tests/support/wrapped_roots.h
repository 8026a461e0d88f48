// The bookworm root with a real upstream wrapper installed the way its image
// build installs it (.ci/setup; the wrappers are test oracles in
// tests/fixtures/third_party), as a throw-away writable overlay: the wrapper
// relinks on its first run, and the cached roots never change.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "tests/support/real_roots.h"
#include "tests/support/require_root.h"
#include "tests/support/temp_dir.h"

namespace iptmode::test {

// The overlay layers of FAMILY's root (sigs-v1, sigs-v2, sigs-v3, release,
// k3s), top first: /var/cache/iptmode-roots/wrapped-FAMILY, the files its
// installation changed, on the bookworm root. Missing: skipped outside CI, a
// failure under CI=true.
inline std::optional<std::string> wrapped_root(std::string_view family) {
  if (!require_root()) return std::nullopt;
  auto base = real_root("bookworm");
  if (!base) return std::nullopt;
  const auto root = real_roots_dir() / ("wrapped-" + std::string(family));
  if (::access((root / ".iptmode-fixture").c_str(), R_OK) == 0)
    return root.string() + ":" + base->string();
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string_view(ci) == "true") {
    FAIL_CHECK("no " << root << ": run .ci/setup (it installs the real " << family
                     << " wrapper in a copy of the bookworm root)");
  } else {
    MESSAGE("skipped: no " << root << " (.ci/setup makes it)");
  }
  return std::nullopt;
}

// An overlay of LOWER (overlayfs' lowerdir: layers, top first, joined by
// ':') whose writes go to a temporary upper layer: a writable root in no
// time, however large, gone on scope exit.
class OverlayRoot {
 public:
  explicit OverlayRoot(const std::string& lower) : root(tmp_.path() / "root") {
    for (const char* d : {"upper", "work", "root"})
      std::filesystem::create_directory(tmp_.path() / d);
    const std::string opts = "lowerdir=" + lower + ",upperdir=" + (tmp_.path() / "upper").string() +
                             ",workdir=" + (tmp_.path() / "work").string();
    REQUIRE_MESSAGE(::mount("overlay", root.c_str(), "overlay", 0, opts.c_str()) == 0,
                    "mount overlay " << opts << ": " << std::strerror(errno));
  }
  ~OverlayRoot() { ::umount2(root.c_str(), MNT_DETACH); }
  OverlayRoot(const OverlayRoot&) = delete;
  OverlayRoot& operator=(const OverlayRoot&) = delete;

 private:
  TempDir tmp_;

 public:
  const std::filesystem::path root;
};

}  // namespace iptmode::test
