// read_bin_dir over a real directory tree: a k0s bin dir with a name linked
// to a missing xtables-*-multi (k0s --iptables-mode with a typo) and one
// missing (k0s #2141, #2157), through to the finding an operator reads.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <string>

#include "audit/bin_dir.h"
#include "audit/findings.h"
#include "shim/names.h"
#include "shim/padded.h"
#include "tests/support/evidence.h"
#include "tests/support/temp_dir.h"

namespace iptmode {

TEST_CASE("bin dir: a dangling name is reported with its target, a missing one as missing") {
  test::TempDir root("iptmode-k0s-bin");
  root.file("/var/lib/k0s/bin/xtables-nft-multi", "not run", 0755);
  root.file("/var/lib/k0s/bin/xtables-legacy-multi", "not run", 0755);
  for (const char* n : {"iptables-save", "iptables-restore", "ip6tables", "ip6tables-save"})
    root.link(std::string("/var/lib/k0s/bin/") + n, "xtables-nft-multi");
  root.link("/var/lib/k0s/bin/iptables", "xtables-legcy-multi");
  // ip6tables-restore: never linked.

  BinDirState b = read_bin_dir(root.str(), "/var/lib/k0s/bin");
  REQUIRE(b.exists);
  auto name = [&](std::string_view n) {
    return *std::find_if(b.names.begin(), b.names.end(),
                         [&](const BinDirName& e) { return e.name == n; });
  };
  CHECK(name("iptables").present);
  CHECK_FALSE(name("iptables").dangling.empty());
  CHECK(name("iptables-save").dangling.empty());
  CHECK_FALSE(name("ip6tables-restore").present);

  AuditEvidence a = test::node(Mode::nft);
  a.bin = b;
  std::vector<std::string> broken;
  for (const auto& f : find_problems(a))
    if (f.code == "BIN_DIR_NAME_BROKEN") broken.push_back(f.message);
  REQUIRE(broken.size() == 2);
  std::sort(broken.begin(), broken.end());
  CHECK(broken[0].starts_with("/var/lib/k0s/bin/ip6tables-restore is missing"));
  CHECK(broken[1].starts_with("/var/lib/k0s/bin/iptables -> xtables-legcy-multi dangles"));

  // An absolute target is resolved inside the root, not on the host.
  root.link("/var/lib/k0s/bin/ip6tables-restore", "/var/lib/k0s/bin/xtables-nft-multi");
  CHECK(read_bin_dir(root.str(), "/var/lib/k0s/bin").names.back().dangling.empty());
}

}  // namespace iptmode

namespace iptmode {

// The zero-bypass form (docs/shim.md): k0s has just relinked the names to
// the staged xtables-*-multi, which are padded scripts running the shim.
TEST_CASE("bin dir: names linked to padded staged scripts run the shim") {
  test::TempDir root("iptmode-k0s-bin");
  const std::string dir = "/var/lib/k0s/bin";
  for (const char* m : {"nft", "legacy"}) {
    const std::string name = std::string("xtables-") + m + "-multi";
    auto script = shim::padded_script(dir, name, 4096);
    REQUIRE(script);
    root.file(dir + "/" + name, *script, 0750);
  }
  root.file(dir + "/iptmode-shim", "a shim", 0755);
  for (auto n : shim::kNames) root.link(dir + "/" + std::string(n), "xtables-legacy-multi");

  BinDirState b = read_bin_dir(root.str(), dir);
  REQUIRE(b.exists);
  CHECK(b.zero_bypass);
  CHECK(b.shim_installed);
  for (const auto& n : b.names) {
    CAPTURE(n.name);
    CHECK(n.points_to_shim);
    CHECK(n.dangling.empty());
  }
  AuditEvidence a = test::node(Mode::nft);
  a.bin = b;
  for (const auto& f : find_problems(a)) {
    CAPTURE(f.message);
    CHECK(f.code != "SHIM_NOT_INSTALLED");
    CHECK(f.code != "BIN_DIR_NAME_BROKEN");
  }

  // A script for another directory's shim is not this one's.
  auto other = shim::padded_script("/opt/other", "xtables-nft-multi", 4096);
  REQUIRE(other);
  root.file(dir + "/xtables-nft-multi", *other, 0750);
  ::unlink((root / (dir + "/iptables")).c_str());
  root.link(dir + "/iptables", "xtables-nft-multi");
  b = read_bin_dir(root.str(), dir);
  CHECK_FALSE(b.zero_bypass);
  CHECK_FALSE(b.shim_installed);
  CHECK_FALSE(b.names.front().points_to_shim);  // iptables -> a script for /opt/other's shim
}

TEST_CASE("padded script: exactly the staged size, recognised by its second line") {
  auto s = shim::padded_script("/var/lib/k0s/bin", "xtables-nft-multi", 1000);
  REQUIRE(s);
  CHECK(s->size() == 1000);
  CHECK(s->starts_with("#!/var/lib/k0s/bin/iptmode-shim\n# iptmode-shim zero-bypass: "));
  CHECK(shim::padded_interpreter(*s) == "/var/lib/k0s/bin/iptmode-shim");
  // Too small to hold its two lines; a #! line the kernel would cut.
  CHECK_FALSE(shim::padded_script("/var/lib/k0s/bin", "xtables-nft-multi", 40));
  CHECK_FALSE(shim::padded_script("/" + std::string(300, 'd'), "xtables-nft-multi", 4096));
  // Not ours: a bare #! line, a foreign script, a binary, another interpreter.
  CHECK_FALSE(shim::padded_interpreter("#!/var/lib/k0s/bin/iptmode-shim\n\n\n"));
  CHECK_FALSE(shim::padded_interpreter("#!/bin/sh\n# iptmode-shim zero-bypass: x\n"));
  CHECK_FALSE(
      shim::padded_interpreter("\x7f"
                               "ELF..."));
  CHECK_FALSE(shim::padded_interpreter("#!/x/not-iptmode-shim\n# iptmode-shim zero-bypass: x\n"));
  CHECK_FALSE(shim::padded_interpreter("#!iptmode-shim\n# iptmode-shim zero-bypass: x\n"));
}

}  // namespace iptmode
