// parse_version sees versions from `iptables -V`, from strings inside
// binaries and from package names (rpm and dpkg). A wrong parse silently
// moves a node into or out of the known-bad table, so both what is accepted
// and what is rejected matter.
#include "core/version.h"

#include <string>

#include <doctest/doctest.h>

namespace iptmode {
namespace {

// Compares through to_string so a failure prints the version, not "{?}".
std::string parsed(std::string_view s) {
  auto v = parse_version(s);
  return v ? to_string(*v) : "<rejected>";
}

}  // namespace

TEST_CASE("version: plain dotted versions") {
  CHECK(parsed("1.8.9") == "1.8.9");
  CHECK(parsed("1.8.10") == "1.8.10");
  // Two parts mean patch 0: old packages and some distros print "1.8".
  CHECK(parsed("1.8") == "1.8.0");
  CHECK(parsed("0.0.0") == "0.0.0");
  // The largest value an int holds is still a number, not an overflow.
  CHECK(parsed("2147483647.0.1") == "2147483647.0.1");

  auto v = parse_version("1.8.9");
  REQUIRE(v.has_value());
  CHECK(v->major == 1);
  CHECK(v->minor == 8);
  CHECK(v->patch == 9);
}

TEST_CASE("version: a leading v as iptables -V prints it") {
  CHECK(parsed("v1.8.9") == "1.8.9");
}

TEST_CASE("version: package release and Debian epoch are dropped") {
  // RHEL 8's rpm: the release after '-' is not part of the upstream version.
  CHECK(parsed("1.8.4-17.el8") == "1.8.4");
  // dpkg's "epoch:upstream-revision".
  CHECK(parsed("1:1.8.9-2") == "1.8.9");
  CHECK(parsed("1.8.7-1ubuntu5") == "1.8.7");
}

TEST_CASE("version: the first version-looking word of iptables -V output") {
  CHECK(parsed("iptables v1.8.7 (nf_tables)") == "1.8.7");
  CHECK(parsed("iptables v1.8.9 (legacy)\n") == "1.8.9");
  CHECK(parsed("ip6tables-legacy v1.8.4") == "1.8.4");
}

TEST_CASE("version: rejects what is not a version") {
  // Each of these, if accepted, would compare as some real version.
  for (std::string bad : {"", "abc", "1", "1.8.9.1", "1.8.9x", "v", ".", "v.", "1.", ".8.9", "1..9",
                          "iptables", "iptables (nf_tables)"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_version(bad).has_value());
  }
}

TEST_CASE("version: numbers that do not fit an int are rejected") {
  CHECK_FALSE(parse_version("99999999999.1.1").has_value());
  CHECK_FALSE(parse_version("1.99999999999.1").has_value());
  CHECK_FALSE(parse_version("1.8.99999999999").has_value());
  CHECK_FALSE(parse_version("2147483648.0.0").has_value());
}

TEST_CASE("version: ordering is numeric per part") {
  // Compared as strings, 1.8.10 < 1.8.9: the known-bad table depends on this.
  CHECK(*parse_version("1.8.10") > *parse_version("1.8.9"));
  CHECK(*parse_version("1.8") == *parse_version("1.8.0"));
  CHECK(*parse_version("1.10.0") > *parse_version("1.9.9"));
  CHECK(*parse_version("2.0.0") > *parse_version("1.99.99"));
  CHECK(*parse_version("1.8.4-17.el8") == Version{1, 8, 4});
  CHECK(Version{1, 8, 7} < Version{1, 8, 8});
  CHECK(Version{1, 8, 7} <= Version{1, 8, 7});
}

TEST_CASE("version: to_string always prints three parts") {
  CHECK(to_string(Version{1, 8, 10}) == "1.8.10");
  CHECK(to_string(Version{1, 8, 0}) == "1.8.0");
  CHECK(to_string(Version{}) == "0.0.0");
  // to_string and parse_version round-trip.
  CHECK(*parse_version(to_string(Version{12, 34, 56})) == Version{12, 34, 56});
}

}  // namespace iptmode
