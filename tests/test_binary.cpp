// The binary classifier tells which backend a component's `iptables` drives
// without running it (running a container's binary on the host would be
// both unsafe and wrong). Synthetic bytes pin down each rule; the machine's
// real xtables binaries check that the rules fit what iptables actually ships.
#include "core/binary.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "core/fd.h"
#include "tests/support/binary_layouts.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

using test::TempDir;

using namespace std::string_literals;

// Filler that looks like the inside of an ELF file: NULs and symbol names,
// none of which matches a pattern.
std::string filler(std::size_t n) {
  static const std::string piece = "\0\0\x7f\x01.text\0libxtables.so.12\0__libc_start_main\0"s;
  std::string out;
  while (out.size() < n) out += piece;
  out.resize(n);
  return out;
}

// An ELF-like file with `payload` somewhere in the middle, well past the
// first read chunk's tail.
std::string elf(const std::string& payload) {
  return std::string("\x7f") + "ELF\x02\x01\x01\0"s + filler(300) + payload + filler(300);
}

// A string as the compiler lays it out in .rodata: NUL before and after.
std::string cstr(std::string_view s) {
  return "\0"s + std::string(s) + "\0"s;
}

// Kinds as text, so a failure prints "unknown", not "3".
std::string kind(const BinaryInfo& info) {
  return std::string(to_string(info.kind));
}

std::string version_of(const BinaryInfo& info) {
  return info.version ? to_string(*info.version) : "<none>";
}

// The kubernetes-sigs iptables-wrapper v2 shell script, trimmed to what
// compares the two backends, and without the strings that name the project.
const std::string kWrapperScript =
    "#!/bin/sh\n"
    "# Detect whether the base system is using iptables-legacy or iptables-nft.\n"
    "num_legacy_lines=$( (iptables-legacy-save || true; ip6tables-legacy-save || true) "
    "2>/dev/null | grep '^-' | wc -l)\n"
    "if [ \"${num_legacy_lines}\" -ge 10 ]; then\n"
    "  mode=legacy\n"
    "else\n"
    "  num_nft_lines=$( (timeout 5 sh -c \"iptables-nft-save; ip6tables-nft-save\" || true) "
    "2>/dev/null | grep '^-' | wc -l)\n"
    "  if [ \"${num_legacy_lines}\" -ge \"${num_nft_lines}\" ]; then mode=legacy; else "
    "mode=nft; fi\n"
    "fi\n"
    "update-alternatives --set iptables \"/usr/sbin/iptables-${mode}\" > /dev/null\n"
    "exec \"$0\" \"$@\"\n";

}  // namespace

TEST_CASE("binary: xtables-nft-multi carries \"<version> (nf_tables)\"") {
  BinaryInfo info = classify_binary(elf(cstr("1.8.9 (nf_tables)")));
  CHECK(kind(info) == "xtables-nft-multi");
  CHECK(info.mode == Mode::nft);
  CHECK(version_of(info) == "1.8.9");
}

TEST_CASE("binary: xtables-legacy-multi carries \"<version> (legacy)\"") {
  BinaryInfo info = classify_binary(elf(cstr("1.8.7 (legacy)")));
  CHECK(kind(info) == "xtables-legacy-multi");
  CHECK(info.mode == Mode::legacy);
  CHECK(version_of(info) == "1.8.7");
}

TEST_CASE("binary: the version is read whole") {
  // Two-digit patch levels: 1.8.10 is known-bad, 1.8.1 and 0 are not versions.
  CHECK(version_of(classify_binary(elf(cstr("1.8.10 (nf_tables)")))) == "1.8.10");
  CHECK(version_of(classify_binary(elf(cstr("1.8.11 (legacy)")))) == "1.8.11");
}

std::string form_of(const BinaryInfo& info) {
  return std::string(to_string(info.version_form));
}

// Each real layout, rebuilt from its strings and offsets, reads as the real
// binary does; the root test "real roots: each measured layout is the real
// binary's" keeps these offsets true.
TEST_CASE("binary: every measured and modelled layout") {
  auto layouts = test::measured_layouts();
  for (auto& l : test::modelled_layouts()) layouts.push_back(l);
  for (const auto& l : layouts) {
    CAPTURE(l.name);
    const std::string bytes = test::build_layout(l, filler(64));
    // Whole, and in chunks small enough that each string straddles one.
    for (std::size_t chunk : {bytes.size(), std::size_t{4096}, std::size_t{7}}) {
      CAPTURE(chunk);
      BinaryScanner s;
      for (std::size_t at = 0; at < bytes.size(); at += chunk)
        s.feed(std::string_view(bytes).substr(at, chunk));
      const BinaryInfo info = s.result();
      CHECK(kind(info) == to_string(l.kind));
      CHECK(info.mode == l.mode);
      CHECK(version_of(info) == (l.version.empty() ? "<none>" : l.version));
      CHECK(form_of(info) == to_string(l.form));
    }
  }
}

TEST_CASE("binary: split form: the lone version nearest the format wins") {
  // Two lone versions around the format: the nearer one, whichever side.
  const test::BinaryLayout near_after{"",
                                      "",
                                      "",
                                      {{0, "1.8.3"}, {2000, "%s v%s (nf_tables)"}, {2300, "1.8.7"}},
                                      BinaryKind::xtables_nft_multi,
                                      Mode::nft,
                                      "1.8.7",
                                      VersionForm::split};
  CHECK(version_of(classify_binary(test::build_layout(near_after, filler(64)))) == "1.8.7");
  // Not iptables versions: "2.36" (two parts), "3.1.4" (not 1.x), "1.8.7a".
  const std::string decoys =
      elf(cstr("2.36") + cstr("3.1.4") + cstr("1.8.7a") + cstr("%s v%s (legacy)") + cstr("v1.8.7"));
  const BinaryInfo d = classify_binary(decoys);
  CHECK(kind(d) == "xtables-legacy-multi");
  CHECK(version_of(d) == "<none>");
  CHECK(form_of(d) == "none");
  // The format only as the tail of a longer string is not the split format.
  CHECK(kind(classify_binary(elf(cstr("1.8.7") + cstr("usage: %s v%s (nf_tables)")))) == "unknown");
}

TEST_CASE("binary: a static build (k0s's iptables 1.8.13)") {
  // k0s builds iptables from source with --enable-static --disable-shared
  // (musl), one file per backend: libxtables, libnftnl, libmnl and every
  // extension are inside, no DT_NEEDED names. 2 MB of that, the version in
  // the literal form >= 1.8.8 source writes, a decoy lone version far away.
  std::string extensions;
  for (const char* e : {"mark", "tcp", "udp", "conntrack", "comment", "MASQUERADE", "DNAT"})
    extensions += cstr(std::string("libxt_") + e) + cstr(std::string("--") + e);
  const std::string body = filler(900 * 1024) + cstr("1.0.5") + extensions + cstr("1.8.13") +
                           filler(1200) + cstr("%s v%s") + filler(4000) +
                           cstr("1.8.13 (nf_tables)") + filler(1024 * 1024);
  const BinaryInfo nft = classify_binary(elf(body));
  CHECK(kind(nft) == "xtables-nft-multi");
  CHECK(version_of(nft) == "1.8.13");
  CHECK(form_of(nft) == "literal");
}

TEST_CASE("binary: both markers or none is unknown") {
  // A file that claims both backends decides nothing.
  BinaryInfo both = classify_binary(elf(cstr("1.8.9 (nf_tables)") + cstr("1.8.9 (legacy)")));
  CHECK(kind(both) == "unknown");
  CHECK_FALSE(both.mode.has_value());
  CHECK_FALSE(both.version.has_value());

  BinaryInfo none = classify_binary(elf("\0iptables v%s\0"s));
  CHECK(kind(none) == "unknown");
  CHECK_FALSE(none.mode.has_value());
  CHECK_FALSE(none.version.has_value());

  CHECK(kind(classify_binary("")) == "unknown");
}

TEST_CASE("binary: known by the names it answers to, without a version") {
  // Builds that format the mode at run time carry only the applet names.
  BinaryInfo nft = classify_binary(elf("\0iptables-nft-restore\0"s));
  CHECK(kind(nft) == "xtables-nft-multi");
  CHECK(nft.mode == Mode::nft);
  CHECK_FALSE(nft.version.has_value());

  BinaryInfo legacy = classify_binary(elf("\0xtables-legacy-multi\0iptables-legacy-restore\0"s));
  CHECK(kind(legacy) == "xtables-legacy-multi");
  CHECK(legacy.mode == Mode::legacy);
  CHECK_FALSE(legacy.version.has_value());

  // Names of both: no decision.
  CHECK(kind(classify_binary(elf("\0iptables-nft-restore\0iptables-legacy-restore\0"s))) ==
        "unknown");
}

TEST_CASE("binary: a script that runs both saves is the iptables wrapper") {
  BinaryInfo info = classify_binary(kWrapperScript);
  CHECK(kind(info) == "iptables-wrapper");
  // It picks a mode at its first run; until then it has none.
  CHECK_FALSE(info.mode.has_value());
  CHECK_FALSE(info.version.has_value());

  // The same text inside a non-script is not a wrapper: a binary may name
  // both saves (in help text, say) without choosing between them.
  CHECK(kind(classify_binary(elf("\0"s + kWrapperScript.substr(2)))) != "iptables-wrapper");
}

TEST_CASE("binary: a script that is not a wrapper is unknown") {
  // e.g. a distro shim `exec xtables-nft-multi iptables "$@"`: the script
  // itself decides nothing, whatever binary names it contains.
  BinaryInfo info =
      classify_binary("#!/bin/sh\nexec /usr/sbin/xtables-nft-multi iptables \"$@\"\n");
  CHECK(kind(info) == "unknown");
  CHECK_FALSE(info.mode.has_value());
}

TEST_CASE("binary: the Go iptables-wrapper by its module path") {
  BinaryInfo info = classify_binary(
      elf("\0sigs.k8s.io/iptables-wrappers/internal/iptables\0iptables-nft-restore\0"
          "iptables-legacy-save\0"s));
  CHECK(kind(info) == "iptables-wrapper");
  CHECK_FALSE(info.mode.has_value());
}

TEST_CASE("binary: the wrapper's relink failure message marks it") {
  BinaryInfo info = classify_binary(
      "#!/bin/sh\necho \"Unable to redirect iptables binaries. (Are you running in an "
      "unprivileged pod?)\" 1>&2\n");
  CHECK(kind(info) == "iptables-wrapper");
}

TEST_CASE("binary: a pattern split across two feed() chunks at every offset is found") {
  struct Case {
    std::string name;
    std::string bytes;
    BinaryKind want;
    const char* version;
  };
  const Case cases[] = {
      {"nft version", elf(cstr("1.8.10 (nf_tables)")), BinaryKind::xtables_nft_multi, "1.8.10"},
      {"legacy version", elf(cstr("1.8.9 (legacy)")), BinaryKind::xtables_legacy_multi, "1.8.9"},
      {"nft names", elf("\0iptables-nft-restore\0"s), BinaryKind::xtables_nft_multi, "<none>"},
      {"go wrapper", elf("\0sigs.k8s.io/iptables-wrappers\0"s), BinaryKind::iptables_wrapper,
       "<none>"},
      // The version at byte 0: no NUL before it, nothing cut off either.
      {"version at the start", "1.8.10 (nf_tables)"s + filler(300), BinaryKind::xtables_nft_multi,
       "1.8.10"},
      {"shell wrapper", kWrapperScript, BinaryKind::iptables_wrapper, "<none>"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    REQUIRE(kind(classify_binary(c.bytes)) == to_string(c.want));
    for (std::size_t at = 0; at <= c.bytes.size(); ++at) {
      CAPTURE(at);
      BinaryScanner s;
      s.feed(std::string_view(c.bytes).substr(0, at));
      s.feed(std::string_view(c.bytes).substr(at));
      BinaryInfo info = s.result();
      CHECK(kind(info) == to_string(c.want));
      CHECK(version_of(info) == c.version);
    }
  }
}

TEST_CASE("binary: fixed-size chunks of every size give the same answer as the whole buffer") {
  // "Chunks of any size": one byte at a time is the hardest case, and sizes
  // around the scanner's kept tail (128 bytes) exercise the seam between
  // chunks. Versions are checked whole: "1.8.1" from a cut "1.8.10" would
  // hide a known-bad release.
  const std::string inputs[] = {
      elf(cstr("1.8.10 (nf_tables)")),
      elf(cstr("1.8.11 (legacy)")),
      "1.8.10 (nf_tables)"s + filler(400),
      elf("\0iptables-legacy-restore\0"s),
      kWrapperScript,
  };
  for (const std::string& bytes : inputs) {
    const BinaryInfo whole = classify_binary(bytes);
    REQUIRE(kind(whole) != "unknown");
    for (std::size_t size = 1; size <= 300; ++size) {
      CAPTURE(size);
      BinaryScanner s;
      for (std::size_t at = 0; at < bytes.size(); at += size)
        s.feed(std::string_view(bytes).substr(at, size));
      const BinaryInfo chunked = s.result();
      CHECK(kind(chunked) == kind(whole));
      CHECK(chunked.mode == whole.mode);
      CHECK(version_of(chunked) == version_of(whole));
    }
  }
}

TEST_CASE("binary: to_string names the kinds as the files are named") {
  CHECK(to_string(BinaryKind::xtables_nft_multi) == "xtables-nft-multi");
  CHECK(to_string(BinaryKind::xtables_legacy_multi) == "xtables-legacy-multi");
  CHECK(to_string(BinaryKind::iptables_wrapper) == "iptables-wrapper");
  CHECK(to_string(BinaryKind::unknown) == "unknown");
}

namespace {

// The version the host's `xtables-<mode>-multi iptables --version` prints
// ("iptables v1.8.9 (nf_tables)" -> "1.8.9"): the scanner must agree with the
// binary itself, whichever iptables this machine has.
std::string host_version(const std::string& multi) {
  const test::RunResult r = test::run_ok({multi, "iptables", "--version"});
  const auto v = r.out.find(" v");
  const auto end = r.out.find(' ', v + 2);
  REQUIRE_MESSAGE((v != std::string::npos && end != std::string::npos), multi << ": " << r.out);
  return r.out.substr(v + 2, end - v - 2);
}

}  // namespace

TEST_CASE("binary: read_binary on this machine's xtables binaries") {
  SUBCASE("xtables-nft-multi") {
    UniqueFd fd(::open("/usr/sbin/xtables-nft-multi", O_RDONLY | O_CLOEXEC));
    REQUIRE_MESSAGE(fd, "open /usr/sbin/xtables-nft-multi: errno " << errno);
    auto info = read_binary(fd.get());
    REQUIRE(info.has_value());
    CHECK(kind(*info) == "xtables-nft-multi");
    CHECK(info->mode == Mode::nft);
    CHECK(version_of(*info) == host_version("/usr/sbin/xtables-nft-multi"));
  }
  SUBCASE("xtables-legacy-multi") {
    UniqueFd fd(::open("/usr/sbin/xtables-legacy-multi", O_RDONLY | O_CLOEXEC));
    REQUIRE_MESSAGE(fd, "open /usr/sbin/xtables-legacy-multi: errno " << errno);
    auto info = read_binary(fd.get());
    REQUIRE(info.has_value());
    CHECK(kind(*info) == "xtables-legacy-multi");
    CHECK(info->mode == Mode::legacy);
    CHECK(version_of(*info) == host_version("/usr/sbin/xtables-legacy-multi"));
  }
}

TEST_CASE("binary: read_binary on 5 MB of random bytes is unknown") {
  // Several read() chunks of noise: no false positives, and no error.
  TempDir dir;
  const std::string path = dir.str() + "/random";
  {
    std::mt19937_64 rng(20240601);  // fixed seed: the same bytes every run
    std::string bytes(5 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
      std::uint64_t v = rng();
      std::memcpy(bytes.data() + i, &v, 8);
    }
    std::ofstream(path, std::ios::binary) << bytes;
    REQUIRE(std::filesystem::file_size(path) == bytes.size());
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  auto info = read_binary(fd.get());
  REQUIRE(info.has_value());
  CHECK(kind(*info) == "unknown");
  CHECK_FALSE(info->mode.has_value());
  CHECK_FALSE(info->version.has_value());
}

TEST_CASE("binary: read_binary reports a read error") {
  // A directory opens but cannot be read: EISDIR, not an empty "unknown".
  UniqueFd fd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  auto info = read_binary(fd.get());
  REQUIRE_FALSE(info.has_value());
  CHECK(info.error().errnum == EISDIR);
}

}  // namespace iptmode
