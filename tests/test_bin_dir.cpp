// read_bin_dir over a real directory tree: a k0s bin dir with a name linked
// to a missing xtables-*-multi (k0s --iptables-mode with a typo) and one
// missing (k0s #2141, #2157), through to the finding an operator reads.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "audit/bin_dir.h"
#include "audit/findings.h"
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
