// The decision as a table: each row is a node state and the mode, rule and
// number of warnings the decision must give.
#include <doctest/doctest.h>

#include <compare>
#include <string>
#include <utility>
#include <vector>

#include "detect/decide.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using namespace test;

BackendState uncounted(std::vector<Table> tables) {
  BackendState b = backend(std::move(tables));
  b.rules_counted = false;
  for (auto& t : b.tables)
    for (auto& c : t.chains) c.rules.reset();
  return b;
}
BackendState unavailable() {
  BackendState b;
  b.available = false;
  b.note = "module not loaded";
  return b;
}

BinaryEvidence host(BinaryKind kind, std::optional<Mode> mode) {
  BinaryEvidence b;
  b.resolved = Resolved{"/usr/sbin/xtables-multi", {}};
  b.info = BinaryInfo{kind, mode, Version{1, 8, 9}, false};
  return b;
}
const BinaryEvidence kHostNft = host(BinaryKind::xtables_nft_multi, Mode::nft);
const BinaryEvidence kHostLegacy = host(BinaryKind::xtables_legacy_multi, Mode::legacy);
const BinaryEvidence kHostWrapper = host(BinaryKind::iptables_wrapper, std::nullopt);
BinaryEvidence host_missing() {
  BinaryEvidence b;
  b.note = "iptables not found on PATH";
  return b;
}

const Table kNftHint = table("ip", "mangle", {chain("KUBE-IPTABLES-HINT")});
const Table kFilter1 = table("ip", "filter", {chain("INPUT", 1)});
const Table kFilter3 = table("ip", "filter", {chain("INPUT", 2), chain("KUBE-SERVICES", 1)});

struct Case {
  const char* name;
  BackendState nft;
  BackendState legacy;
  BinaryEvidence host;
  std::optional<Override> override_mode;
  Mode mode;
  Rule rule;
  std::size_t warnings = 0;
};

std::vector<Case> cases() {
  return {
      {"empty, host nft", backend({}), backend({}), kHostNft, {}, Mode::nft, Rule::host_binary},
      {"empty, host legacy",
       backend({}),
       backend({}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"empty, host wrapper has no mode yet",
       backend({}),
       backend({}),
       kHostWrapper,
       {},
       Mode::nft,
       Rule::kernel_default},
      {"empty, no host iptables",
       backend({}),
       backend({}),
       host_missing(),
       {},
       Mode::nft,
       Rule::kernel_default},
      {"no nf_tables, no host iptables",
       unavailable(),
       backend({}),
       host_missing(),
       {},
       Mode::legacy,
       Rule::kernel_default},
      {"nft hint", backend({kNftHint}), backend({}), kHostLegacy, {}, Mode::nft, Rule::hint},
      {"legacy hint", backend({}), backend({kNftHint}), kHostNft, {}, Mode::legacy, Rule::hint},
      {"hints in both",
       backend({kNftHint}),
       backend({kNftHint}),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::hint,
       1},
      {"ip6-only legacy hint",
       backend({}),
       backend({table("ip6", "mangle", {chain("KUBE-IPTABLES-HINT")})}),
       kHostNft,
       {},
       Mode::legacy,
       Rule::hint},
      {"legacy canary in nat",
       backend({}),
       backend({table("ip", "nat", {chain("KUBE-KUBELET-CANARY")})}),
       kHostNft,
       {},
       Mode::legacy,
       Rule::hint},
      {"nft canary in filter",
       backend({table("ip", "filter", {chain("KUBE-KUBELET-CANARY")})}),
       backend({kFilter3}),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::hint},
      {"hint name in an inet table is not kubelet's",
       backend({table("inet", "t", {chain("KUBE-IPTABLES-HINT")})}),
       backend({}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"hint name in an arp table is not kubelet's",
       backend({table("arp", "filter", {chain("KUBE-IPTABLES-HINT")})}),
       backend({}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"hint in any ip table counts",
       backend({table("ip", "kube-proxy", {chain("KUBE-KUBELET-CANARY")})}),
       backend({}),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::hint},
      {"hint names are case-sensitive",
       backend({table("ip", "mangle", {chain("kube-iptables-hint")})}),
       backend({}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"legacy rules only",
       backend({}),
       backend({kFilter3}),
       kHostNft,
       {},
       Mode::legacy,
       Rule::rule_count},
      {"nft rules only",
       backend({kFilter3}),
       backend({}),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::rule_count},
      {"more legacy than nft",
       backend({kFilter1}),
       backend({kFilter3}),
       kHostNft,
       {},
       Mode::legacy,
       Rule::rule_count},
      {"more nft than legacy",
       backend({kFilter3}),
       backend({kFilter1}),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::rule_count},
      {"a tie goes on",
       backend({kFilter1}),
       backend({kFilter1}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"native nft tables are not iptables rules",
       backend({table("inet", "firewalld", {chain("filter_INPUT", 50)}),
                table("ip", "kube-proxy", {chain("services", 9)})}),
       backend({}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"ip6 rules count",
       backend({table("ip6", "nat", {chain("POSTROUTING", 4)})}),
       backend({kFilter3}),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::rule_count},
      {"no nf_tables, legacy rules",
       unavailable(),
       backend({kFilter1}),
       kHostNft,
       {},
       Mode::legacy,
       Rule::rule_count},
      {"no nf_tables, legacy hint",
       unavailable(),
       backend({kNftHint}),
       kHostNft,
       {},
       Mode::legacy,
       Rule::hint},
      {"no x_tables, nft rules",
       backend({kFilter1}),
       unavailable(),
       kHostLegacy,
       {},
       Mode::nft,
       Rule::rule_count},
      {"uncounted nft rules cannot decide by count",
       uncounted({kFilter3}),
       backend({}),
       kHostLegacy,
       {},
       Mode::legacy,
       Rule::host_binary},
      {"override against the hint warns", backend({kNftHint}), backend({}), kHostNft,
       Override{Mode::legacy, "--mode"}, Mode::legacy, Rule::override_mode, 1},
      {"override agreeing with the hint is quiet", backend({kNftHint}), backend({}), kHostNft,
       Override{Mode::nft, "--mode"}, Mode::nft, Rule::override_mode, 0},
      {"config override against the host binary warns", backend({}), backend({}), kHostLegacy,
       Override{Mode::nft, "/etc/iptmode/iptmode.conf"}, Mode::nft, Rule::override_mode, 1},
      {"override with hints in both keeps both warnings", backend({kNftHint}), backend({kNftHint}),
       kHostNft, Override{Mode::legacy, "--mode"}, Mode::legacy, Rule::override_mode, 2},
  };
}

}  // namespace

TEST_CASE("decide: the table") {
  const auto all = cases();
  CHECK(all.size() >= 25);
  for (const auto& c : all) {
    CAPTURE(c.name);
    Evidence ev;
    ev.kernel.nft = c.nft;
    ev.kernel.legacy = c.legacy;
    ev.host_iptables = c.host;
    const Decision d = decide(ev, c.override_mode);
    CHECK(to_string(d.mode) == to_string(c.mode));
    CHECK(to_string(d.rule) == to_string(c.rule));
    CHECK(d.warnings.size() == c.warnings);

    // Every step is recorded, in order, and exactly the deciding one is marked.
    REQUIRE(d.reasons.size() == 5);
    const Rule order[] = {Rule::override_mode, Rule::hint, Rule::rule_count, Rule::host_binary,
                          Rule::kernel_default};
    int decided = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      CHECK(d.reasons[i].rule == order[i]);
      CHECK_FALSE(d.reasons[i].text.empty());
      if (d.reasons[i].decided) {
        ++decided;
        CHECK(d.reasons[i].rule == d.rule);
        CHECK(d.reasons[i].says == d.mode);
      }
    }
    CHECK(decided == 1);
  }
}

TEST_CASE("decide: the reasons name the evidence") {
  Evidence ev;
  ev.kernel.nft = backend({kNftHint});
  ev.kernel.legacy = backend({kFilter3});
  ev.host_iptables = kHostLegacy;
  const Decision d = decide(ev, std::nullopt);
  CHECK(d.reasons[1].text.find("ip mangle KUBE-IPTABLES-HINT") != std::string::npos);
  CHECK(d.reasons[2].text.find("x_tables 3") != std::string::npos);
  CHECK(d.reasons[3].text.find("xtables-legacy-multi 1.8.9") != std::string::npos);
}

TEST_CASE("decide: is pure") {
  Evidence ev;
  ev.kernel.nft = backend({kFilter1});
  ev.kernel.legacy = backend({kFilter3});
  ev.host_iptables = kHostNft;
  const Decision a = decide(ev, std::nullopt);
  const Decision b = decide(ev, std::nullopt);
  CHECK(a.mode == b.mode);
  CHECK(a.rule == b.rule);
  CHECK(a.reasons.size() == b.reasons.size());
}

namespace {

// A backend whose count stopped early: `rules` seen, at least.
BackendState at_least(std::uint64_t rules) {
  BackendState b = backend({table("ip", "filter", {chain("KUBE-SERVICES", rules)})});
  b.rules_exact = false;
  b.tables[0].chains[0].rules_exact = false;
  return b;
}

Decision decide_counts(BackendState nft, BackendState legacy) {
  Evidence ev;
  ev.kernel.nft = std::move(nft);
  ev.kernel.legacy = std::move(legacy);
  ev.host_iptables = kHostWrapper;  // no mode: the rule count's answer is the last before default
  return decide(ev, std::nullopt);
}

}  // namespace

TEST_CASE("compare_counts: only what the counts prove") {
  using so = std::strong_ordering;
  CHECK(compare_counts({3, true}, {3, true}) == so::equal);
  CHECK(compare_counts({4, true}, {3, true}) == so::greater);
  CHECK(compare_counts({0, true}, {1, true}) == so::less);
  // A lower bound above an exact count proves more; at or below it, nothing.
  CHECK(compare_counts({4, false}, {3, true}) == so::greater);
  CHECK(compare_counts({3, true}, {4, false}) == so::less);
  CHECK_FALSE(compare_counts({3, false}, {3, true}).has_value());
  CHECK_FALSE(compare_counts({2, false}, {3, true}).has_value());
  CHECK_FALSE(compare_counts({3, true}, {3, false}).has_value());
  // Two lower bounds prove nothing, however far apart.
  CHECK_FALSE(compare_counts({1000, false}, {1, false}).has_value());
  CHECK(to_string(RuleCount{5, false}) == "at least 5");
  CHECK(to_string(RuleCount{5, true}) == "5");
}

TEST_CASE("rule-count: a lower bound above the exact other count decides, and says so") {
  const Decision d = decide_counts(at_least(2), backend({kFilter1}));
  CHECK(d.mode == Mode::nft);
  CHECK(d.rule == Rule::rule_count);
  CHECK(d.reasons[2].text.find("nf_tables at least 2, x_tables 1") != std::string::npos);

  const Decision l = decide_counts(backend({}), at_least(1));
  CHECK(l.mode == Mode::legacy);
  CHECK(l.rule == Rule::rule_count);
  CHECK(l.reasons[2].text.find("nf_tables 0, x_tables at least 1") != std::string::npos);
}

TEST_CASE("rule-count: an unavailable backend is exactly none, so one rule is proof") {
  const Decision d = decide_counts(at_least(1), unavailable());
  CHECK(d.mode == Mode::nft);
  CHECK(d.rule == Rule::rule_count);
  CHECK(d.reasons[2].text.find("nf_tables at least 1, x_tables 0") != std::string::npos);
}

TEST_CASE("rule-count: exact equal counts are a tie, and go on") {
  const Decision d = decide_counts(backend({kFilter3}), backend({kFilter3}));
  CHECK(d.rule == Rule::kernel_default);
  CHECK_FALSE(d.reasons[2].says.has_value());
  CHECK(d.reasons[2].text.find("nf_tables 3, x_tables 3 (a tie)") != std::string::npos);
}

TEST_CASE("rule-count: a lower bound that proves nothing decides nothing, and is no tie") {
  for (auto [nft, legacy] :
       {std::pair{at_least(1), backend({kFilter1})}, std::pair{backend({kFilter3}), at_least(3)},
        std::pair{at_least(9), at_least(1)}}) {
    const Decision d = decide_counts(nft, legacy);
    CHECK(d.rule == Rule::kernel_default);
    CHECK_FALSE(d.reasons[2].says.has_value());
    CHECK(d.reasons[2].text.find("do not prove") != std::string::npos);
    CHECK(d.reasons[2].text.find("a tie") == std::string::npos);
  }
}

}  // namespace iptmode
