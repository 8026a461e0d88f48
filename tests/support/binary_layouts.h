// Where real iptables builds keep their version and mode strings: which
// strings, in what order, how far apart. The unit tests build small files
// with exactly these layouts; a root test (tests/test_real_roots.cpp) checks
// each measured layout against the real binary in the cached Debian roots
// (.ci/setup builds them), so the fixtures cannot drift from what ships.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/binary.h"

namespace iptmode::test {

struct LayoutString {
  std::size_t offset;  // from the first byte of the layout's first string
  std::string text;    // stored NUL-terminated, after a NUL
};

struct BinaryLayout {
  std::string name;
  std::string suite;  // the cached root it was measured in; empty: not measured here
  std::string path;   // inside that root
  std::vector<LayoutString> strings;
  BinaryKind kind;
  Mode mode;
  std::string version;  // what the scanner must read; empty: unknown
  VersionForm form;
};

// Measured with `strings -t d` on the packages mmdebstrap installed
// (bullseye 1.8.7-1, bookworm 1.8.9-2, trixie 1.8.11-2) and on the static
// build .ci/setup makes. The offsets are differences of those figures.
inline std::vector<BinaryLayout> measured_layouts() {
  using K = BinaryKind;
  using F = VersionForm;
  return {
      {"bullseye xtables-nft-multi 1.8.7 (split)",
       "bullseye",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.7"}, {694, "%s v%s (nf_tables)\n"}, {5879, "%s v%s (nf_tables): "}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.7",
       F::split},
      {"bullseye xtables-legacy-multi 1.8.7 (split)",
       "bullseye",
       "/usr/sbin/xtables-legacy-multi",
       {{0, "1.8.7"}, {595, "%s v%s (legacy): "}, {833, "%s v%s (legacy)\n"}},
       K::xtables_legacy_multi,
       Mode::legacy,
       "1.8.7",
       F::split},
      {"bookworm xtables-nft-multi 1.8.9 (literal)",
       "bookworm",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.9"}, {6780, "%s v%s\n"}, {16468, "1.8.9 (nf_tables)"}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.9",
       F::literal},
      {"bookworm xtables-legacy-multi 1.8.9 (literal)",
       "bookworm",
       "/usr/sbin/xtables-legacy-multi",
       {{0, "1.8.9"}, {6805, "%s v%s\n"}, {10009, "1.8.9 (legacy)"}},
       K::xtables_legacy_multi,
       Mode::legacy,
       "1.8.9",
       F::literal},
      {"trixie xtables-nft-multi 1.8.11 (literal)",
       "trixie",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.11"}, {1224, "%s v%s\n"}, {5403, "1.8.11 (nf_tables)"}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.11",
       F::literal},
      {"trixie xtables-legacy-multi 1.8.11 (literal)",
       "trixie",
       "/usr/sbin/xtables-legacy-multi",
       {{0, "1.8.11"}, {1232, "%s v%s\n"}, {2248, "1.8.11 (legacy)"}},
       K::xtables_legacy_multi,
       Mode::legacy,
       "1.8.11",
       F::literal},
      // Fully static, as k0s builds its embedded iptables (configure
      // --enable-static --disable-shared, LDFLAGS=-all-static, stripped):
      // libxtables, libnftnl, libmnl and the extensions in one file each.
      // .ci/setup builds it from Debian's iptables_1.8.11.orig.tar.xz in a
      // trixie root (glibc where k0s uses musl).
      {"static xtables-nft-multi 1.8.11 (literal)",
       "static-iptables",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.11"}, {6063, "%s v%s\n"}, {13088, "1.8.11 (nf_tables)"}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.11",
       F::literal},
      {"static xtables-legacy-multi 1.8.11 (literal)",
       "static-iptables",
       "/usr/sbin/xtables-legacy-multi",
       {{0, "1.8.11"}, {6106, "%s v%s\n"}, {8604, "1.8.11 (legacy)"}},
       K::xtables_legacy_multi,
       Mode::legacy,
       "1.8.11",
       F::literal},
  };
}

// Layouts no cached root carries, each modelled on what its source or
// build says (docs/detect.md, "Reading a binary").
inline std::vector<BinaryLayout> modelled_layouts() {
  using K = BinaryKind;
  using F = VersionForm;
  return {
      // RHEL 8 / UBI 8 (calico-node's base): iptables 1.8.4, nft only, from
      // the same pre-1.8.8 source as bullseye: version and format apart.
      {"rhel8 xtables-nft-multi 1.8.4 (split)",
       "",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.4"}, {702, "%s v%s (nf_tables)\n"}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.4",
       F::split},
      // Debian buster's 1.8.2: the known-bad 1.8.0-1.8.3 builds are split.
      {"buster xtables-nft-multi 1.8.2 (split)",
       "",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.2"}, {690, "%s v%s (nf_tables)\n"}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.2",
       F::split},
      // Another linker may put the format first: the nearest version counts.
      {"split, format before the version",
       "",
       "/sbin/xtables-legacy-multi",
       {{0, "%s v%s (legacy)\n"}, {1200, "1.8.6"}},
       K::xtables_legacy_multi,
       Mode::legacy,
       "1.8.6",
       F::split},
      // RHEL 9 / UBI 9 (1.8.8, 1.8.10) and Alpine (musl, /sbin) build
      // >= 1.8.8 sources: the literal form.
      {"rhel9 xtables-nft-multi 1.8.10 (literal)",
       "",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.10"}, {1400, "%s v%s\n"}, {6100, "1.8.10 (nf_tables)"}},
       K::xtables_nft_multi,
       Mode::nft,
       "1.8.10",
       F::literal},
      // The format with no version within kSplitReach: the mode is known,
      // the version is not (and the audit says so).
      {"split, version out of reach",
       "",
       "/usr/sbin/xtables-nft-multi",
       {{0, "1.8.5"}, {kSplitReach + 500, "%s v%s (nf_tables)\n"}},
       K::xtables_nft_multi,
       Mode::nft,
       "",
       F::none},
  };
}

// The strings of `l` laid out at their offsets in ELF-looking bytes, with
// `lead` bytes of `filler` before the first (so it is deep in the file).
inline std::string build_layout(const BinaryLayout& l, const std::string& filler,
                                std::size_t lead = 4096) {
  std::string out = std::string(
      "\x7f"
      "ELF\x02\x01\x01",
      7);
  auto pad_to = [&](std::size_t n) {
    std::size_t i = 0;
    while (out.size() < n) out.push_back(filler[i++ % filler.size()]);
  };
  for (const auto& s : l.strings) {
    // Each string starts at lead + offset, after a NUL (the previous
    // string's own, when they touch).
    pad_to(lead + s.offset - 1);
    if (out.size() == lead + s.offset - 1) out.push_back('\0');
    out += s.text;
    out.push_back('\0');
  }
  pad_to(out.size() + 4096);
  return out;
}

// The offset of the first NUL-delimited `s` at or after `from` in `bytes`.
inline std::optional<std::size_t> find_cstr(std::string_view bytes, std::string_view s,
                                            std::size_t from = 0) {
  std::string needle;
  needle.push_back('\0');
  needle += s;
  needle.push_back('\0');
  auto at = bytes.find(needle, from == 0 ? 0 : from - 1);
  if (at == std::string_view::npos) return std::nullopt;
  return at + 1;
}

}  // namespace iptmode::test
