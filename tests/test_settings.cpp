// DIR/iptmode-shim.conf names what the shim execs (the detector) and where it
// finds the backends: a path the shim would misread must be refused with the
// line that is wrong, never half-applied.
#include "shim/settings.h"

#include <cstring>
#include <string>

#include <doctest/doctest.h>

namespace iptmode::shim {
namespace {

struct Parsed {
  bool ok = false;
  Settings s;
  int bad_line = 0;
};

Parsed parse(std::string_view text) {
  Parsed p;
  p.ok = parse_settings(text, p.s, &p.bad_line);
  return p;
}

}  // namespace

TEST_CASE("shim settings: the defaults") {
  const Settings d = default_settings();
  CHECK(std::string(d.detector) == "/usr/sbin/iptmode");
  CHECK(std::string(d.detector) == kDefaultDetector);
  CHECK(d.backend_dir[0] == '\0');
  CHECK(d.version_check == VersionCheck::warn);

  for (const char* text : {"", "\n", "\n\n  \n\t\n", "# nothing but comments\n   # indented\n"}) {
    CAPTURE(text);
    Parsed p = parse(text);
    REQUIRE(p.ok);
    CHECK(std::string(p.s.detector) == "/usr/sbin/iptmode");
    CHECK(p.s.backend_dir[0] == '\0');
    CHECK(p.s.version_check == VersionCheck::warn);
  }
}

TEST_CASE("shim settings: each key") {
  Parsed p = parse("detector = /opt/iptmode/bin/iptmode\n");
  REQUIRE(p.ok);
  CHECK(std::string(p.s.detector) == "/opt/iptmode/bin/iptmode");
  CHECK(p.s.backend_dir[0] == '\0');

  p = parse("backend-dir = /var/lib/k0s/bin\n");
  REQUIRE(p.ok);
  CHECK(std::string(p.s.backend_dir) == "/var/lib/k0s/bin");
  CHECK(std::string(p.s.detector) == "/usr/sbin/iptmode");  // the others keep their defaults

  for (auto [word, want] : {std::pair{"warn", VersionCheck::warn},
                            {"enforce", VersionCheck::enforce},
                            {"off", VersionCheck::off}}) {
    CAPTURE(word);
    p = parse(std::string("version-check = ") + word + "\n");
    REQUIRE(p.ok);
    CHECK(p.s.version_check == want);
  }

  // What `iptmode shim install` writes reads back.
  p = parse(
      "# iptmode-shim settings, written by `iptmode shim install`.\n"
      "# The detector the shim runs when no decision is recorded yet.\n"
      "detector = /usr/local/sbin/iptmode\n"
      "# Where xtables-<mode>-multi live.\n"
      "backend-dir = /usr/sbin\n"
      "# warn | enforce | off\n"
      "version-check = enforce\n");
  REQUIRE(p.ok);
  CHECK(std::string(p.s.detector) == "/usr/local/sbin/iptmode");
  CHECK(std::string(p.s.backend_dir) == "/usr/sbin");
  CHECK(p.s.version_check == VersionCheck::enforce);
}

TEST_CASE("shim settings: spacing, comments and line ends") {
  Parsed p = parse(
      "\t detector=/a/b   # trailing comment\r\n"
      "backend-dir\t=\t/c\r\n"
      "   version-check   =   off");  // no final newline
  REQUIRE(p.ok);
  CHECK(std::string(p.s.detector) == "/a/b");
  CHECK(std::string(p.s.backend_dir) == "/c");
  CHECK(p.s.version_check == VersionCheck::off);

  // A later line wins over an earlier one.
  p = parse("version-check = off\nversion-check = enforce\n");
  REQUIRE(p.ok);
  CHECK(p.s.version_check == VersionCheck::enforce);
}

TEST_CASE("shim settings: relative paths and .. are refused") {
  for (const char* value :
       {"iptmode", "./iptmode", "bin/iptmode", "../usr/sbin/iptmode", "/usr/../tmp/x", "/..",
        "/usr/sbin/..", "/a/../../etc", "~/iptmode", ""}) {
    CAPTURE(value);
    for (const char* key : {"detector", "backend-dir"}) {
      CAPTURE(key);
      Parsed p = parse(std::string(key) + " = " + value + "\n");
      CHECK_FALSE(p.ok);
      CHECK(p.bad_line == 1);
    }
  }
  // A path that fills the whole field (255 bytes and the NUL) is taken, one
  // byte more is refused, not cut.
  const std::string fits = "/" + std::string(sizeof(Settings::detector) - 2, 'd');
  Parsed p = parse("detector = " + fits + "\n");
  REQUIRE(p.ok);
  CHECK(std::string(p.s.detector) == fits);
  p = parse("backend-dir = " + fits + "e\n");
  CHECK_FALSE(p.ok);
  CHECK(p.bad_line == 1);
}

TEST_CASE("shim settings: a line not understood gives its number") {
  struct Row {
    const char* text;
    int line;
  };
  for (const Row& row : {
           Row{"detektor = /usr/sbin/iptmode\n", 1},
           Row{"# header\n\ndetector = /usr/sbin/iptmode\nmode = nft\n", 4},
           Row{"detector = /usr/sbin/iptmode\nversion-check = strict\n", 2},
           Row{"version-check = WARN\n", 1},
           Row{"version-check =\n", 1},
           Row{"\n\n\njust words\n", 4},
           Row{"detector /usr/sbin/iptmode\n", 1},
           Row{"= /usr/sbin/iptmode\n", 1},
           Row{"backend-dir = /x\r\nbogus\r\n", 2},
       }) {
    CAPTURE(row.text);
    Settings s = default_settings();
    std::strcpy(s.backend_dir, "/untouched");
    int bad = 0;
    CHECK_FALSE(parse_settings(row.text, s, &bad));
    CHECK(bad == row.line);
    // Nothing of a refused file is applied.
    CHECK(std::string(s.backend_dir) == "/untouched");
  }
  // bad_line may be null.
  Settings s;
  CHECK_FALSE(parse_settings("nonsense\n", s, nullptr));
}

TEST_CASE("shim settings: a NUL inside a value is refused") {
  const std::string text = std::string("detector = /usr/sbin/ipt") + '\0' + "mode\n";
  Parsed p = parse(text);
  CHECK_FALSE(p.ok);
  CHECK(p.bad_line == 1);
}

TEST_CASE("shim settings: detector-timeout is whole seconds from 1 to 300") {
  CHECK(default_settings().detector_timeout == 30);
  for (auto [text, want] : {std::pair{"detector-timeout = 1\n", 1},
                            {"detector-timeout=300\n", 300},
                            {"detector-timeout = 45\n", 45}}) {
    CAPTURE(text);
    Parsed p = parse(text);
    REQUIRE(p.ok);
    CHECK(p.s.detector_timeout == want);
  }
  for (const char* text :
       {"detector-timeout = 0\n", "detector-timeout = 301\n", "detector-timeout = 30s\n",
        "detector-timeout = -1\n", "detector-timeout =\n", "detector-timeout = 1e3\n"}) {
    CAPTURE(text);
    Parsed p = parse(text);
    CHECK_FALSE(p.ok);
    CHECK(p.bad_line == 1);
  }
}

TEST_CASE("shim settings: format_settings reads back the same, and never cuts") {
  Settings s = default_settings();
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    if (round == 1) std::strcpy(s.backend_dir, "/var/lib/k0s/bin");
    if (round == 2) {
      s.version_check = VersionCheck::off;
      s.detector_timeout = 9;
    }
    char buf[kSettingsMax];
    const std::size_t n = format_settings(s, buf, sizeof buf);
    REQUIRE(n > 0);
    Parsed p = parse(std::string_view(buf, n));
    REQUIRE(p.ok);
    CHECK(p.s == s);
    CHECK(format_settings(s, buf, n) == 0);  // one byte short: nothing
  }
}

}  // namespace iptmode::shim
