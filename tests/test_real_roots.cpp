// iptmode against real iptables builds: the Debian roots .ci/setup caches.
// The fixtures the unit tests use stand for these binaries; here each is
// checked against the binary it stands for, and the scanner against the
// real bytes.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include <doctest/doctest.h>

#include "core/binary.h"
#include "core/fd.h"
#include "tests/support/audit_json.h"
#include "tests/support/binary_layouts.h"
#include "tests/support/detect.h"
#include "tests/support/netns.h"
#include "tests/support/real_roots.h"
#include "tests/support/rooted_process.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("real roots: each measured layout is the real binary's") {
  for (const auto& l : test::measured_layouts()) {
    CAPTURE(l.name);
    auto root = test::real_root(l.suite);
    if (!root) continue;
    const std::string bytes = slurp(*root / l.path.substr(1));
    // The first string (the lone version) anchors the rest.
    auto base = test::find_cstr(bytes, l.strings.front().text);
    REQUIRE_MESSAGE(base, "no \"" << l.strings.front().text << "\" in " << l.path);
    for (const auto& s : l.strings) {
      auto at = test::find_cstr(bytes, s.text, *base);
      CAPTURE(s.text);
      REQUIRE_MESSAGE(at, "no \"" << s.text << "\" after the version in " << l.path);
      CHECK(*at - *base == s.offset);
    }
  }
}

TEST_CASE("real roots: the scanner reads every real build's mode and version") {
  for (const auto& l : test::measured_layouts()) {
    CAPTURE(l.name);
    auto root = test::real_root(l.suite);
    if (!root) continue;
    const auto path = *root / l.path.substr(1);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE_MESSAGE(fd, "open " << path);
    auto info = read_binary(fd.get());
    REQUIRE(info.has_value());
    CHECK(info->kind == l.kind);
    CHECK(info->mode == l.mode);
    REQUIRE(info->version.has_value());
    CHECK(to_string(*info->version) == l.version);
    CHECK(info->version_form == l.form);
  }
}

// The static build (k0s's kind) runs anywhere: what it prints with -V is
// the truth its bytes must give.
TEST_CASE("real roots: the static build's mode and version are what its -V prints") {
  if (!test::require_root()) return;
  auto root = test::real_root("static-iptables");
  if (!root) return;
  test::Netns ns;
  for (const char* multi : {"xtables-nft-multi", "xtables-legacy-multi"}) {
    CAPTURE(multi);
    const auto path = *root / "usr/sbin" / multi;
    const auto v = ns.exec_ok({path.string(), "iptables", "-V"});
    const test::VersionLine truth = test::parse_v(v.out);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE_MESSAGE(fd, "open " << path);
    auto info = read_binary(fd.get());
    REQUIRE(info.has_value());
    REQUIRE(info->mode.has_value());
    CHECK(to_string(*info->mode) == truth.mode);
    REQUIRE(info->version.has_value());
    CHECK(to_string(*info->version) == truth.version);
  }
}

TEST_CASE("real roots: libxtables carries no version, the multi binary does") {
  // Where the split form's version lives: in xtables-*-multi itself
  // (program_version), not in the libxtables.so.12 it links.
  for (auto suite : test::kRealSuites) {
    CAPTURE(suite);
    auto root = test::real_root(suite);
    if (!root) continue;
    const std::string lib = slurp(*root / "usr/lib/x86_64-linux-gnu/libxtables.so.12");
    for (const char* v : {"1.8.7", "1.8.9", "1.8.11"}) CHECK_FALSE(test::find_cstr(lib, v));
  }
}

bool has_line(const std::string& text, std::string_view line) {
  for (const auto& l : test::lines(text))
    if (l == line) return true;
  return false;
}

// The reason VERSION_SKEW is an error (docs/audit.md): what >= 1.8.8 writes,
// 1.8.7 reads back without its matches.
TEST_CASE("real roots: the skew loses matches (1.8.9 and 1.8.11 written, 1.8.7 read)") {
  if (!test::require_root()) return;
  auto old_root = test::real_root("bullseye");
  if (!old_root) return;
  for (auto writer : {"bookworm", "trixie"}) {
    CAPTURE(writer);
    auto root = test::real_root(writer);
    if (!root) continue;
    test::Netns ns;
    auto in = [&](const std::filesystem::path& r, std::vector<std::string> argv) {
      argv.insert(argv.begin(), {"chroot", r.string()});
      return argv;
    };
    ns.exec_ok(in(*root, {"iptables-nft", "-t", "nat", "-N", "KUBE-POSTROUTING"}));
    ns.exec_ok(in(*root, {"iptables-nft", "-t", "nat", "-A", "KUBE-POSTROUTING", "-m", "mark", "!",
                          "--mark", "0x4000/0x4000", "-j", "RETURN"}));
    ns.exec_ok(in(*root, {"iptables-nft", "-A", "INPUT", "-p", "tcp", "-m", "tcp", "--dport",
                          "10250", "-j", "ACCEPT"}));
    const auto same = ns.exec_ok(in(*root, {"iptables-nft-save"}));
    CHECK(has_line(same.out, "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"));
    CHECK(has_line(same.out, "-A INPUT -p tcp -m tcp --dport 10250 -j ACCEPT"));
    const auto old = ns.exec_ok(in(*old_root, {"iptables-nft-save"}));
    CAPTURE(old.out);
    CHECK(has_line(old.out, "-A KUBE-POSTROUTING -j RETURN"));
    CHECK(has_line(old.out, "-A INPUT -p tcp -j ACCEPT"));
    CHECK(old.out.find("--mark") == std::string::npos);
    CHECK(old.out.find("--dport") == std::string::npos);
  }
}

using test::parse_v;
using test::RootCopy;
using test::VersionLine;

// The guide's own check is the truth: `nsenter -t PID -m iptables -V` runs
// the component's binary in its mount namespace, and iptmode's reading of
// that binary's bytes must say the same, for every root and both
// alternatives.
TEST_CASE("real roots: detect's mode and version for a component equal its iptables -V") {
  if (!test::require_root()) return;
  for (auto suite : test::kRealSuites) {
    auto cached = test::real_root(suite);
    if (!cached) continue;
    for (const std::string alt : {"nft", "legacy"}) {
      CAPTURE(suite);
      CAPTURE(alt);
      std::optional<RootCopy> copy;
      std::filesystem::path root = *cached;
      if (alt == "legacy") {
        copy.emplace(*cached);
        copy->chroot({"update-alternatives", "--set", "iptables", "/usr/sbin/iptables-legacy"});
        root = copy->root;
      }
      test::Netns ns;
      // The cached root itself only read-only: a test never changes it.
      test::RootedProcess p(root, ns, "kube-router", alt == "nft");
      const auto truth_run = p.enter({"iptables", "-V"});
      REQUIRE_MESSAGE(truth_run.exit_code == 0, "nsenter iptables -V: " << truth_run.err);
      const VersionLine truth = parse_v(truth_run.out);
      CHECK(truth.mode == alt);
      const test::json j = test::run_detect(ns);
      const test::json& c = test::component_of(j.at("evidence").at("components"), p.pid());
      CAPTURE(c.dump());
      CHECK(c.at("iptables").at("mode") == truth.mode);
      CHECK(c.at("iptables").at("version") == truth.version);
      CHECK(c.at("iptables").at("version_from") ==
            (suite == std::string_view("bullseye") ? "split" : "literal"));
    }
  }
}

}  // namespace
}  // namespace iptmode
