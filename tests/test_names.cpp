// The shim runs a backend chosen by the name it is called as: the six names
// k0s links follow the recorded mode, their -nft/-legacy forms force one, and
// any other name must be refused (a stray link must not run iptables).
#include "shim/names.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace iptmode::shim {
namespace {

// "iptables-save" + nft -> "iptables-nft-save", as xtables-nft-multi names them.
std::string with_mode(std::string_view name, std::string_view mode) {
  const auto dash = name.find('-');
  if (dash == std::string_view::npos) return std::string(name) + "-" + std::string(mode);
  return std::string(name.substr(0, dash)) + "-" + std::string(mode) +
         std::string(name.substr(dash));
}

}  // namespace

TEST_CASE("shim names: the six names follow the recorded mode") {
  CHECK(std::size(kNames) == 6);
  for (std::string_view name : {"iptables", "iptables-save", "iptables-restore", "ip6tables",
                                "ip6tables-save", "ip6tables-restore"}) {
    CAPTURE(name);
    const NameRoute r = route_name(name);
    CHECK(r.known);
    CHECK_FALSE(r.forced.has_value());
  }
}

TEST_CASE("shim names: every -nft and -legacy form forces its backend") {
  const std::vector<std::pair<std::string, Mode>> want = {
      {"iptables-nft", Mode::nft},
      {"iptables-nft-save", Mode::nft},
      {"iptables-nft-restore", Mode::nft},
      {"ip6tables-nft", Mode::nft},
      {"ip6tables-nft-save", Mode::nft},
      {"ip6tables-nft-restore", Mode::nft},
      {"iptables-legacy", Mode::legacy},
      {"iptables-legacy-save", Mode::legacy},
      {"iptables-legacy-restore", Mode::legacy},
      {"ip6tables-legacy", Mode::legacy},
      {"ip6tables-legacy-save", Mode::legacy},
      {"ip6tables-legacy-restore", Mode::legacy},
  };
  for (const auto& [name, mode] : want) {
    CAPTURE(name);
    const NameRoute r = route_name(name);
    CHECK(r.known);
    REQUIRE(r.forced.has_value());
    CHECK(*r.forced == mode);
  }
  // The same list, made from kNames: no name is left without its two forms.
  int forms = 0;
  for (std::string_view base : kNames) {
    for (Mode m : {Mode::nft, Mode::legacy}) {
      const std::string name = with_mode(base, to_string(m));
      CAPTURE(name);
      const NameRoute r = route_name(name);
      CHECK(r.known);
      CHECK((r.forced && *r.forced == m));
      ++forms;
    }
  }
  CHECK(forms == 12);
}

TEST_CASE("shim names: anything else is refused") {
  using namespace std::string_view_literals;
  for (std::string_view name : std::initializer_list<std::string_view>{
           "iptables-foo",
           "xtables-nft-multi",
           "xtables-legacy-multi",
           "iptables-nftx",
           "iptables-nf",
           "iptables-legacyy",
           "",
           "ebtables",
           "arptables",
           "nft",
           "iptmode-shim",
           "iptables-save-nft",  // the mode goes after the first word
           "iptables-restore-legacy",
           "iptables-nft-nft",
           "iptables-nft-legacy",
           "iptables-nft-",
           "iptables-",
           "-nft",
           "iptables-nft-saved",
           "iptables-saveX",
           "ip6tables-nft-save ",
           " iptables",
           "IPTABLES",
           "iptables-NFT",
           "ip4tables",
           "ip6tables-nftables",
           "/usr/sbin/iptables",  // a basename, not a path
           "iptables\0"sv,
       }) {
    CAPTURE(std::string(name));
    const NameRoute r = route_name(name);
    CHECK_FALSE(r.known);
    CHECK_FALSE(r.forced.has_value());
  }
}

}  // namespace iptmode::shim

namespace iptmode::shim {

// The interpreter form: a `#!<bin dir>/iptmode-shim` script run as
// /var/lib/k0s/bin/iptables hands the shim that path as argv[1].
TEST_CASE("shim names: the interpreter form routes the executed path's name") {
  const std::string_view dir = "/var/lib/k0s/bin";
  SUBCASE("the six names, in the bin dir, follow the recorded mode") {
    for (std::string_view name : kNames) {
      const std::string path = std::string(dir) + "/" + std::string(name);
      CAPTURE(path);
      const ScriptRoute r = route_script(path, dir);
      CHECK(r.route.known);
      CHECK_FALSE(r.route.forced.has_value());
      CHECK(r.same_dir);
      CHECK(r.base == name);
    }
  }
  SUBCASE("xtables-<mode>-multi forces that backend: k0s's own detection sees both") {
    const ScriptRoute nft = route_script("/var/lib/k0s/bin/xtables-nft-multi", dir);
    CHECK(nft.route.known);
    CHECK(nft.route.forced == Mode::nft);
    CHECK(nft.same_dir);
    const ScriptRoute legacy = route_script("/var/lib/k0s/bin/xtables-legacy-multi", dir);
    CHECK(legacy.route.forced == Mode::legacy);
  }
  SUBCASE("-nft / -legacy forms force theirs") {
    CHECK(route_script("/var/lib/k0s/bin/ip6tables-legacy-save", dir).route.forced == Mode::legacy);
  }
  SUBCASE("another directory is not the same dir; its name is still parsed") {
    const ScriptRoute r = route_script("/usr/sbin/iptables", dir);
    CHECK(r.route.known);
    CHECK_FALSE(r.same_dir);
    CHECK(r.path_dir == "/usr/sbin");
    CHECK_FALSE(route_script("/var/lib/k0s/bin2/iptables", dir).same_dir);
    CHECK_FALSE(route_script("/var/lib/k0s/iptables", dir).same_dir);
    CHECK(route_script("/iptables", "/").same_dir);
    CHECK(route_script("/iptables", "/").path_dir == "/");
  }
  SUBCASE("relative paths, unknown names and near misses are refused") {
    for (std::string_view bad :
         {"iptables", "./iptables", "bin/iptables", "", "/var/lib/k0s/bin/", "/var/lib/k0s/bin/sh",
          "/var/lib/k0s/bin/iptmode-shim", "/var/lib/k0s/bin/xtables-multi",
          "/var/lib/k0s/bin/xtables-nft-multi2", "/var/lib/k0s/bin/xtables--multi",
          "/var/lib/k0s/bin/xtables-legacy-multi/", "/var/lib/k0s/bin/iptables.orig",
          "/var/lib/k0s/bin/ebtables-nft"}) {
      CAPTURE(bad);
      CHECK_FALSE(route_script(bad, dir).route.known);
    }
  }
}

}  // namespace iptmode::shim
