// nft's version from its bytes.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "audit/nft_version.h"

namespace iptmode {
namespace {

TEST_CASE("nft version: read_nft_version takes the first NUL-delimited X.Y.Z") {
  auto version_of = [](std::string_view bytes) {
    int fd = ::memfd_create("nft", MFD_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    ::lseek(fd, 0, SEEK_SET);
    auto v = read_nft_version(fd);
    ::close(fd);
    return v;
  };
  using namespace std::string_literals;
  CHECK(version_of("\x7f"
                   "ELF\0nft\0%s v%s (%s)\0"
                   "1.0.6\0Lester Gooch #5\0"s) == Version{1, 0, 6});
  CHECK(version_of("\0"
                   "1.1.0\0"
                   "2.0.0\0"s) == Version{1, 1, 0});
  // Not delimited on both sides, too many dots, or no digits: not a version.
  CHECK_FALSE(version_of("\0"
                         "v1.0.6\0"
                         "1.2\0"
                         "1.2.3.4\0"
                         "x\0"s)
                  .has_value());
  CHECK_FALSE(version_of(""s).has_value());
}

}  // namespace
}  // namespace iptmode
