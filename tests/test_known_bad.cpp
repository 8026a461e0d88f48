// The known-bad table and the reader/writer skew rule decide whether iptmode
// warns about (or, with version-check=enforce, refuses) a node's iptables.
// The edges of each range are where a wrong comparison would show.
#include "core/known_bad.h"

#include "core/binary.h"
#include "tests/support/binary_layouts.h"

#include <doctest/doctest.h>

namespace iptmode {
namespace {

bool bad(Mode m, Version v) {
  return !known_bad_for(m, v).empty();
}

}  // namespace

TEST_CASE("known_bad: iptables-nft 1.8.0 to 1.8.3 is bad") {
  CHECK(bad(Mode::nft, {1, 8, 0}));
  CHECK(bad(Mode::nft, {1, 8, 2}));
  CHECK(bad(Mode::nft, {1, 8, 3}));
  // Just outside the range on both sides.
  CHECK_FALSE(bad(Mode::nft, {1, 8, 4}));
  CHECK_FALSE(bad(Mode::nft, {1, 7, 9}));
}

TEST_CASE("known_bad: iptables-nft 1.8.10 alone is bad") {
  CHECK(bad(Mode::nft, {1, 8, 10}));
  CHECK_FALSE(bad(Mode::nft, {1, 8, 9}));
  CHECK_FALSE(bad(Mode::nft, {1, 8, 11}));
  // 1.8.10 sorts after 1.8.9 numerically, and must not also match 1.8.0-1.8.3
  // (as it would if compared as the string "1.8.1...").
  CHECK(known_bad_for(Mode::nft, {1, 8, 10}).size() == 1);
}

TEST_CASE("known_bad: the rows are nft-only") {
  // The bugs are in the nf_tables backend; the same version of
  // iptables-legacy is fine.
  CHECK_FALSE(bad(Mode::legacy, {1, 8, 2}));
  CHECK_FALSE(bad(Mode::legacy, {1, 8, 10}));
}

TEST_CASE("known_bad: known_bad_for returns the rows that cover the version") {
  auto rows = known_bad_for(Mode::nft, {1, 8, 2});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].backend == Mode::nft);
  CHECK(rows[0].first <= Version{1, 8, 2});
  CHECK(Version{1, 8, 2} <= rows[0].last);
}

TEST_CASE("known_bad: every row has a problem and a source and a non-empty range") {
  // The report prints problem and source for the operator; an empty one, or
  // a reversed range that matches nothing, is a table typo.
  auto rows = known_bad_versions();
  REQUIRE_FALSE(rows.empty());
  for (const auto& row : rows) {
    CAPTURE(to_string(row.first));
    CHECK_FALSE(row.problem.empty());
    CHECK_FALSE(row.source.empty());
    CHECK(row.first <= row.last);
    // Each row matches its own endpoints.
    CHECK(bad(row.backend, row.first));
    CHECK(bad(row.backend, row.last));
  }
}

TEST_CASE("known_bad: nft reader/writer skew (bugzilla 1632)") {
  // iptables-nft <= 1.8.7 misreads rules written by >= 1.8.8.
  CHECK(nft_reader_misreads({1, 8, 7}, {1, 8, 8}));
  CHECK(nft_reader_misreads({1, 8, 4}, {1, 8, 10}));
  CHECK_FALSE(nft_reader_misreads({1, 8, 8}, {1, 8, 8}));
  CHECK_FALSE(nft_reader_misreads({1, 8, 7}, {1, 8, 7}));
  // A newer reader understands an older writer.
  CHECK_FALSE(nft_reader_misreads({1, 8, 9}, {1, 8, 7}));
  CHECK(kNftSkewSource.find("1632") != std::string_view::npos);
}

}  // namespace iptmode

namespace iptmode {
namespace {

// The 1.8.0-1.8.3 builds keep their version apart from the format (the split
// layout, as bullseye's 1.8.7 does): the table must fire on what the scanner
// reads from such bytes, not only on a parsed string.
TEST_CASE("known-bad: fires on a buster-style split 1.8.2 build") {
  for (const auto& l : test::modelled_layouts()) {
    if (l.name.find("1.8.2") == std::string::npos) continue;
    const BinaryInfo info = classify_binary(test::build_layout(l, std::string(64, '\x01')));
    REQUIRE(info.mode == Mode::nft);
    REQUIRE(info.version.has_value());
    CHECK(info.version_form == VersionForm::split);
    CHECK(known_bad_for(*info.mode, *info.version).size() == 1);
  }
}

}  // namespace
}  // namespace iptmode
