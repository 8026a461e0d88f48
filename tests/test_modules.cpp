// Which backends' modules the kernel has, read without loading any.
#include <doctest/doctest.h>

#include <sys/utsname.h>

#include <string>

#include "detect/modules.h"
#include "tests/support/temp_dir.h"

namespace iptmode {

TEST_CASE("modules: module_availability from /proc/modules, modules.builtin and modules.dep") {
  const std::string dep = "kernel/net/netfilter/nf_tables.ko: kernel/net/netfilter/nfnetlink.ko\n";
  ModuleAvailability none = module_availability(std::string_view("ext4 1 0 - Live\n"), "", "");
  CHECK_FALSE(none.nft);
  CHECK_FALSE(none.legacy);
  CHECK_FALSE(none.nft_loadable);
  CHECK(module_availability(std::string_view("ext4 1 0 - Live\n"), "", dep).nft_loadable);
  ModuleAvailability built =
      module_availability(std::string_view(""), "kernel/net/netfilter/nf_tables.ko\n");
  CHECK(built.nft);
  CHECK(module_availability(std::nullopt, "").legacy);  // no module support: built in
}

// The lists are read inside the host root: a link there to an absolute path
// (or /lib -> usr/lib) names that path in the root.
TEST_CASE("modules: read_module_list resolves links inside the host root") {
  struct utsname u {};
  REQUIRE(::uname(&u) == 0);
  const std::string dir = std::string("/lib/modules/") + u.release;
  test::TempDir root;
  root.link(dir + "/modules.builtin", "/elsewhere/modules.builtin");
  root.file("/elsewhere/modules.builtin", "kernel/net/netfilter/nf_tables.ko\n");
  CHECK(read_module_list(root.str(), "modules.builtin") == "kernel/net/netfilter/nf_tables.ko\n");
  CHECK(read_module_list(root.str(), "modules.dep").empty());

  test::TempDir merged;  // merged /usr: /lib -> usr/lib
  merged.link("/lib", "usr/lib");
  merged.file("/usr" + dir + "/modules.dep", "kernel/net/netfilter/nf_tables.ko:\n");
  CHECK(read_module_list(merged.str(), "modules.dep") == "kernel/net/netfilter/nf_tables.ko:\n");
}

}  // namespace iptmode
