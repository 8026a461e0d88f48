// /etc/iptmode/iptmode.conf is written by hand or by a config-management
// tool: parse errors must point at the line and the offending word, and
// loading must never hang or read without bound whatever sits at the path.
#include "detect/config.h"
#include "tests/support/in_child.h"
#include "tests/support/temp_dir.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace iptmode {
namespace {

using test::in_child_with_deadline;
using test::TempDir;

Config parse_ok(std::string_view text) {
  auto r = parse_config(text, "test.conf");
  if (!r) FAIL("unexpected error: " << r.error().message);
  return r.value_or(Config{});
}

std::string parse_error(std::string_view text) {
  auto r = parse_config(text, "test.conf");
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

bool contains(const std::string& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("config: empty text gives the defaults") {
  Config c = parse_ok("");
  CHECK_FALSE(c.mode.has_value());  // auto: detect
  CHECK(c.version_check == VersionCheck::warn);
  CHECK(c.components.empty());
  CHECK(c.backend_dir.empty());
}

TEST_CASE("config: comments and blank lines are ignored") {
  Config c = parse_ok(
      "# iptmode configuration\n"
      "\n"
      "   \t\n"
      "  # indented comment\n"
      "mode = legacy   # trailing comment\n"
      "\n");
  REQUIRE(c.mode.has_value());
  CHECK(*c.mode == Mode::legacy);
}

TEST_CASE("config: CRLF line ends and no final newline") {
  // Files edited on Windows or written by printf without "\n".
  Config c = parse_ok("mode = nft\r\nversion-check = off");
  CHECK(c.mode == Mode::nft);
  CHECK(c.version_check == VersionCheck::off);
}

TEST_CASE("config: mode") {
  CHECK_FALSE(parse_ok("mode = auto").mode.has_value());
  CHECK(parse_ok("mode = nft").mode == Mode::nft);
  CHECK(parse_ok("mode=legacy").mode == Mode::legacy);
  // A later line wins; auto resets an earlier explicit mode.
  CHECK_FALSE(parse_ok("mode = nft\nmode = auto\n").mode.has_value());
}

TEST_CASE("config: version-check") {
  CHECK(parse_ok("version-check = warn").version_check == VersionCheck::warn);
  CHECK(parse_ok("version-check = enforce").version_check == VersionCheck::enforce);
  CHECK(parse_ok("version-check = off").version_check == VersionCheck::off);
  CHECK(to_string(VersionCheck::enforce) == "enforce");
  CHECK(to_string(VersionCheck::off) == "off");
  CHECK(to_string(VersionCheck::warn) == "warn");

  std::string e = parse_error("version-check = strict\n");
  CHECK(contains(e, "test.conf:1"));
  CHECK(contains(e, "strict"));
}

TEST_CASE("config: components separated by commas and spaces") {
  Config c = parse_ok("components = cilium-agent, antrea-agent,kube-ovn  weave\tflannel ,\n");
  CHECK(c.components ==
        std::vector<std::string>{"cilium-agent", "antrea-agent", "kube-ovn", "weave", "flannel"});
  // An empty list is allowed: only the four default components are audited.
  CHECK(parse_ok("components =").components.empty());
}

TEST_CASE("config: backend-dir must be absolute") {
  CHECK(parse_ok("backend-dir = /opt/iptables/sbin").backend_dir == "/opt/iptables/sbin");

  std::string e = parse_error("mode = nft\nbackend-dir = usr/sbin\n");
  CHECK(contains(e, "test.conf:2"));
  CHECK(contains(e, "usr/sbin"));
  CHECK(contains(parse_error("backend-dir =\n"), "test.conf:1"));
}

TEST_CASE("config: errors name path:line and the offending key or value") {
  SUBCASE("unknown key") {
    // Line 3: the comment and blank line still count.
    std::string e = parse_error("# header\n\nbackend = nft\n");
    CHECK(contains(e, "test.conf:3"));
    CHECK(contains(e, "backend"));
  }
  SUBCASE("missing '='") {
    std::string e = parse_error("mode = nft\nmode nft\n");
    CHECK(contains(e, "test.conf:2"));
    CHECK(contains(e, "mode nft"));
  }
  SUBCASE("bad mode") {
    std::string e = parse_error("mode = iptables-nft\n");
    CHECK(contains(e, "test.conf:1"));
    CHECK(contains(e, "iptables-nft"));
  }
  SUBCASE("component name with '/'") {
    // A path is not a process name: comm and argv[0] are matched by name.
    std::string e = parse_error("\n\n\n\ncomponents = kubelet, /usr/bin/kube-proxy\n");
    CHECK(contains(e, "test.conf:5"));
    CHECK(contains(e, "/usr/bin/kube-proxy"));
  }
}

TEST_CASE("config: load_config on a missing file") {
  TempDir dir;
  const std::string missing = dir.str() + "/iptmode.conf";

  // The default path may be absent: defaults.
  auto r = load_config(missing, false);
  REQUIRE(r.has_value());
  CHECK_FALSE(r->mode.has_value());
  CHECK(r->version_check == VersionCheck::warn);
  CHECK(r->components.empty());
  CHECK(r->backend_dir.empty());

  // --config names a file that must be there; the error says which.
  auto e = load_config(missing, true);
  REQUIRE_FALSE(e.has_value());
  CHECK(contains(e.error().message, missing));
}

TEST_CASE("config: load_config reads and parses a file") {
  TempDir dir;
  std::string path = dir.file("iptmode.conf", "mode = legacy\ncomponents = cilium-agent\n");
  auto r = load_config(path, true);
  REQUIRE(r.has_value());
  CHECK(r->mode == Mode::legacy);
  CHECK(r->components == std::vector<std::string>{"cilium-agent"});

  // Parse errors name the file's real path.
  std::string bad = dir.file("bad.conf", "mode = nft\nmode = fast\n");
  auto e = load_config(bad, false);
  REQUIRE_FALSE(e.has_value());
  CHECK(contains(e.error().message, bad + ":2"));
}

TEST_CASE("config: load_config size limit") {
  TempDir dir;
  // Exactly the limit is fine: comment lines of 64 bytes.
  std::string line = "#" + std::string(62, 'x') + "\n";
  std::string text;
  while (text.size() < kConfigSizeLimit) text += line;
  REQUIRE(text.size() == kConfigSizeLimit);
  CHECK(load_config(dir.file("limit.conf", text), true).has_value());

  // One byte more is an error, not a silent truncation.
  std::string big = dir.file("big.conf", text + "\n");
  auto e = load_config(big, false);
  REQUIRE_FALSE(e.has_value());
  CHECK(contains(e.error().message, big));
}

TEST_CASE("config: load_config on something that is not a regular file") {
  TempDir dir;
  SUBCASE("a directory") {
    auto e = load_config(dir.path(), false);
    REQUIRE_FALSE(e.has_value());
    CHECK(contains(e.error().message, dir.str()));
  }
  SUBCASE("a FIFO: an error, without waiting for a writer") {
    std::string fifo = dir.str() + "/iptmode.conf";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // No process ever opens the FIFO for writing: an open or read that
    // blocks would wait forever, so the call runs under a deadline.
    auto out = in_child_with_deadline(
        [&]() -> std::string {
          auto r = load_config(fifo, false);
          return r ? std::string("ok") : "error: " + r.error().message;
        },
        10000);
    REQUIRE_MESSAGE(out.has_value(), "load_config blocked on a FIFO");
    CHECK(out->starts_with("error: "));
    CHECK(contains(*out, fifo));
  }
}

}  // namespace iptmode

namespace iptmode {

TEST_CASE("config: backend-dir the shim could not read back is refused with its line") {
  for (std::string_view bad : {std::string_view("/usr/../sbin"), std::string_view("/a/.."),
                               std::string_view("/usr/sbin\0junk", 14)}) {
    std::string text = "mode = nft\nbackend-dir = ";
    text.append(bad);
    text += "\n";
    auto cfg = parse_config(text, "/etc/iptmode/iptmode.conf");
    REQUIRE_FALSE(cfg.has_value());
    CHECK(cfg.error().message.find("/etc/iptmode/iptmode.conf:2:") != std::string::npos);
  }
  CHECK(parse_config("backend-dir = " + std::string(300, 'a').insert(0, "/") + "\n", "f")
            .has_value() == false);
  CHECK(parse_config("backend-dir = /usr/..b/sbin\n", "f").has_value());
}

// <host-root>/etc/iptmode/iptmode.conf is resolved inside the root: a link to
// an absolute path (a ConfigMap's, a hand-made one) names that path there.
TEST_CASE("config: load_root_config follows links inside the host root only") {
  test::TempDir root;
  root.link("/etc/iptmode/iptmode.conf", "/etc/elsewhere/iptmode.conf");
  root.file("/etc/elsewhere/iptmode.conf", "mode = legacy\n");
  auto r = load_root_config(root.str());
  REQUIRE(r.has_value());
  CHECK(r->mode == Mode::legacy);

  // A ConfigMap volume: iptmode.conf -> ..data/iptmode.conf, ..data -> a dated directory.
  test::TempDir cm;
  cm.file("/etc/iptmode/..2026_12_01/iptmode.conf", "mode = nft\n");
  cm.link("/etc/iptmode/..data", "..2026_12_01");
  cm.link("/etc/iptmode/iptmode.conf", "..data/iptmode.conf");
  auto c = load_root_config(cm.str());
  REQUIRE(c.has_value());
  CHECK(c->mode == Mode::nft);

  // Missing inside the root: the defaults, whatever the host has.
  test::TempDir empty;
  auto d = load_root_config(empty.str());
  REQUIRE(d.has_value());
  CHECK_FALSE(d->mode.has_value());

  // Errors name the file as the operator knows it.
  test::TempDir bad;
  bad.file("/etc/iptmode/iptmode.conf", "mode = fast\n");
  auto e = load_root_config(bad.str());
  REQUIRE_FALSE(e.has_value());
  CHECK(contains(e.error().message, bad.str() + "/etc/iptmode/iptmode.conf:1"));
}

TEST_CASE("config: a config on procfs is refused, named") {
  auto e = load_config("/proc/self/status", true);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().message ==
        "/proc/self/status: on procfs, not a file a config can be read from (fix or remove the "
        "config file)");
}

}  // namespace iptmode
