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

using test::RootCopy;

struct VersionLine {
  std::string mode;  // nft | legacy
  std::string version;
};

// "iptables v1.8.7 (nf_tables)" -> {nft, 1.8.7}
VersionLine parse_v(const std::string& out) {
  VersionLine v;
  const auto at = out.find(" v");
  REQUIRE_MESSAGE(at != std::string::npos, "not an iptables -V line: " << out);
  v.version = out.substr(at + 2, out.find(' ', at + 2) - at - 2);
  if (out.find("(nf_tables)") != std::string::npos) v.mode = "nft";
  if (out.find("(legacy)") != std::string::npos) v.mode = "legacy";
  return v;
}

const test::json& component_of(const test::json& comps, pid_t pid) {
  for (const auto& c : comps)
    for (const auto& p : c.at("pids"))
      if (p == pid) return c;
  FAIL("no component with pid " << pid << " in " << comps.dump(2));
  return comps;  // unreachable
}

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
      const test::json& c = component_of(j.at("evidence").at("components"), p.pid());
      CAPTURE(c.dump());
      CHECK(c.at("iptables").at("mode") == truth.mode);
      CHECK(c.at("iptables").at("version") == truth.version);
      CHECK(c.at("iptables").at("version_from") ==
            (suite == std::string_view("bullseye") ? "split" : "literal"));
    }
  }
}

// Written for this test after kubernetes/release
// images/build/debian-iptables/bullseye/iptables-wrapper at c05a4f1: the
// rule lines of both backends, a tie to legacy, update-alternatives under
// set -e, then itself again.
constexpr std::string_view kReleaseWrapper = R"(#!/bin/sh
set -e
legacy=$( (iptables-legacy-save || true; ip6tables-legacy-save || true) 2>/dev/null | grep -c '^-' || true)
nft=$( (timeout 5 sh -c "iptables-nft-save; ip6tables-nft-save" || true) 2>/dev/null | grep -c '^-' || true)
if [ "$legacy" -ge "$nft" ]; then mode=legacy; else mode=nft; fi
update-alternatives --set iptables "/usr/sbin/iptables-${mode}" > /dev/null
update-alternatives --set ip6tables "/usr/sbin/ip6tables-${mode}" > /dev/null
exec "$0" "$@"
)";

// As the debian-iptables Dockerfile installs it: COPY, then
// update-alternatives --install for both groups with the wrapper at 100.
void install_release_wrapper(const RootCopy& r) {
  { std::ofstream(r.root / "usr/sbin/iptables-wrapper") << kReleaseWrapper; }
  std::filesystem::permissions(r.root / "usr/sbin/iptables-wrapper", std::filesystem::perms(0755));
  for (const std::string g : {"iptables", "ip6tables"})
    r.chroot({"update-alternatives", "--install", "/usr/sbin/" + g, g, "/usr/sbin/iptables-wrapper",
              "100", "--slave", "/usr/sbin/" + g + "-restore", g + "-restore",
              "/usr/sbin/iptables-wrapper", "--slave", "/usr/sbin/" + g + "-save", g + "-save",
              "/usr/sbin/iptables-wrapper"});
}

// A copy of `suite` with the release wrapper installed; null when skipped.
std::unique_ptr<RootCopy> wrapped_root(std::string_view suite) {
  auto copy = test::real_root_copy(suite);
  if (copy) install_release_wrapper(*copy);
  return copy;
}

test::json audit_in(const test::Netns& ns) {
  const auto r = ns.exec({IPTMODE_BIN, "audit", "--json", "--bin-dir", "/nonexistent-iptmode"});
  REQUIRE_MESSAGE(r.exit_code != 2, "audit: " << r.err);
  test::check_schema(r.out, "audit --json");
  return test::json::parse(r.out);
}

const test::json* finding(const test::json& j, std::string_view code) {
  for (const auto& f : j.at("findings"))
    if (f.at("code") == code) return &f;
  return nullptr;
}

// Issue 10: on an nft node whose only nft content is kubelet's hint, the
// kubernetes/release wrapper picks legacy (no hint step, a tie at 0 and 0).
TEST_CASE("real roots: kubernetes/release's wrapper picks what the audit predicted") {
  auto copy = wrapped_root("bookworm");
  if (!copy) return;
  test::Netns ns;
  ns.exec_ok(
      {"chroot", copy->root.string(), "iptables-nft", "-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  test::RootedProcess p(copy->root, ns, "kube-router");
  const test::json a = audit_in(ns);
  const test::json& c = component_of(a.at("components"), p.pid());
  CAPTURE(c.dump());
  CHECK(a.at("mode") == "nft");
  CHECK(c.at("wrapper_pending") == true);
  CHECK(c.at("wrapper") == "kubernetes/release debian-iptables");
  CHECK(c.at("predicted") == "legacy");
  const test::json* w = finding(a, "WRAPPER_PENDING");
  REQUIRE(w != nullptr);
  CHECK(w->at("severity") == "warning");
  CHECK(finding(a, "WRAPPER_CANNOT_RELINK") == nullptr);
  // Now the real wrapper runs, in the component's namespaces.
  const auto picked = p.enter({"iptables", "-V"}, true);
  REQUIRE_MESSAGE(picked.exit_code == 0, "the wrapper: " << picked.err);
  CHECK(parse_v(picked.out).mode == c.at("predicted").get<std::string>());
}

TEST_CASE("real roots: a wrapper on a read-only root cannot relink, and the audit says so") {
  auto copy = wrapped_root("bookworm");
  if (!copy) return;
  test::Netns ns;
  test::RootedProcess p(copy->root, ns, "kube-router", /*read_only=*/true);
  const test::json a = audit_in(ns);
  const test::json* r = finding(a, "WRAPPER_CANNOT_RELINK");
  REQUIRE_MESSAGE(r != nullptr, a.dump(2));
  CHECK(r->at("severity") == "error");
  CHECK(r->at("message").get<std::string>().find("every iptables call fails") != std::string::npos);
  // And so it is: update-alternatives fails on the read-only root.
  const auto call = p.enter({"iptables", "-V"}, true);
  CHECK(call.exit_code != 0);
}

}  // namespace
}  // namespace iptmode
