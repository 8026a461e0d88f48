// audit/foreign_rules_read's count_from: a k0s node's exact nf_tables counts
// taken from the FOREIGN_RULE read, which saw every rule (the read itself is
// tests/test_foreign_rules_read.cpp, root).
#include <doctest/doctest.h>

#include "audit/foreign_rules_read.h"

namespace iptmode {
namespace {

BackendState counted_until_above() {
  BackendState b;
  b.rules_counted = true;
  b.rules_exact = false;  // counting stopped once it passed x_tables
  Chain svc{"KUBE-SVC-A", false, 5, false};
  Chain other{"KUBE-SVC-B", false, std::nullopt, true};
  b.tables.push_back(Table{"ip", "filter", {Chain{"INPUT", true, 0, true}, svc, other}});
  b.tables.push_back(Table{"inet", "kube-proxy", {Chain{"services", false, std::nullopt, true}}});
  return b;
}

ForeignRules read_of(std::vector<ChainRules> chains) {
  ForeignRules f;
  f.read = true;
  f.chains = std::move(chains);
  return f;
}

}  // namespace

TEST_CASE("count_from: every chain of the iptables tables gets the read's exact count") {
  auto b = counted_until_above();
  // Strings built at run time, so a view into a temporary copy would not
  // happen to survive in a literal's storage.
  std::string filter = "filter", a = "KUBE-SVC-A", bb = "KUBE-SVC-B";
  const auto f = read_of({{"ip", filter, "INPUT", 0}, {"ip", filter, a, 7}, {"ip", filter, bb, 9}});
  REQUIRE(count_from(f, b));
  CHECK(b.rules_exact);
  const auto& chains = b.tables[0].chains;
  CHECK(chains[0].rules == 0);
  CHECK(chains[1].rules == 7);
  CHECK(chains[2].rules == 9);
  for (const auto& c : chains) CHECK(c.rules_exact);
  CHECK(iptables_rules(b).n == 16);
  CHECK(iptables_rules(b).exact);
  // A native table is no part of the iptables count and keeps no count.
  CHECK_FALSE(b.tables[1].chains[0].rules.has_value());
}

TEST_CASE("count_from: a chain the read did not see leaves the state as it was") {
  auto b = counted_until_above();
  const auto f = read_of({{"ip", "filter", "INPUT", 0}, {"ip", "filter", "KUBE-SVC-A", 7}});
  CHECK_FALSE(count_from(f, b));
  CHECK_FALSE(b.rules_exact);
  CHECK(b.tables[0].chains[1].rules == 5);
  CHECK_FALSE(b.tables[0].chains[1].rules_exact);
}

TEST_CASE("count_from: the same chain name in ip6 is another chain") {
  auto b = counted_until_above();
  const auto f = read_of({{"ip6", "filter", "INPUT", 0},
                          {"ip6", "filter", "KUBE-SVC-A", 7},
                          {"ip6", "filter", "KUBE-SVC-B", 9}});
  CHECK_FALSE(count_from(f, b));
}

}  // namespace iptmode
