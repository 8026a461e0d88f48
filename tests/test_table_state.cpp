#include "monitor/table_state.h"

#include <doctest/doctest.h>

using namespace iptmode;
using namespace iptmode::monitor;

namespace {

BackendState backend(std::vector<Table> tables) {
  BackendState b;
  b.rules_counted = true;
  b.tables = std::move(tables);
  return b;
}

Chain chain(std::string name, std::uint64_t rules) {
  Chain c;
  c.name = std::move(name);
  c.rules = rules;
  return c;
}

}  // namespace

TEST_CASE("table_state: diff names added, deleted and changed chains and tables, in order") {
  const auto before = from_backend(
      backend({{"ip", "filter", {chain("INPUT", 1), chain("OUTPUT", 2), chain("OLD", 0)}},
               {"ip", "raw", {chain("PREROUTING", 0)}}}));
  const auto after = from_backend(
      backend({{"ip", "filter", {chain("INPUT", 3), chain("OUTPUT", 1), chain("KUBE-NEW", 4)}},
               {"ip6", "nat", {chain("POSTROUTING", 1)}}}));
  const auto d = diff(before, after);
  REQUIRE(d.size() == 8);
  // ip filter: chains by name.
  CHECK((d[0].chain == "INPUT" && d[0].op == Operation::change_rules && d[0].added == 2));
  CHECK((d[1].chain == "KUBE-NEW" && d[1].op == Operation::add_chain && d[1].added == 4));
  CHECK((d[2].chain == "OUTPUT" && d[2].op == Operation::change_rules && d[2].deleted == 1));
  CHECK((d[3].chain == "OLD" && d[3].op == Operation::delete_chain));
  CHECK((d[4].family == "ip6" && d[4].op == Operation::add_table));
  CHECK((d[5].family == "ip6" && d[5].chain == "POSTROUTING" && d[5].op == Operation::add_chain));
  CHECK((d[6].table == "raw" && d[6].chain == "PREROUTING" && d[6].op == Operation::delete_chain));
  CHECK((d[7].table == "raw" && d[7].chain.empty() && d[7].op == Operation::delete_table));
  CHECK(diff(after, after).empty());
}

TEST_CASE("table_state: a gone table lists its chains, then the table") {
  const auto before = from_backend(backend({{"ip", "nat", {chain("A", 1)}}}));
  const auto d = diff(before, TableState{});
  REQUIRE(d.size() == 2);
  CHECK(d[0].op == Operation::delete_chain);
  CHECK(d[0].deleted == 1);
  CHECK(d[1].op == Operation::delete_table);
}

TEST_CASE("table_state: apply follows notifications and never counts below zero") {
  TableState s;
  apply(s, {"ip", "filter", "", Operation::add_table, 0, 0});
  apply(s, {"ip", "filter", "INPUT", Operation::add_chain, 0, 0});
  apply(s, {"ip", "filter", "INPUT", Operation::add_rule, 5, 0});
  apply(s, {"ip", "filter", "INPUT", Operation::delete_rule, 0, 7});
  CHECK(s.tables.at({"ip", "filter"}).at("INPUT") == 0);
  apply(s, {"ip", "filter", "INPUT", Operation::add_rule, 2, 0});
  apply(s, {"inet", "fw", "c", Operation::add_rule, 9, 0});
  CHECK(rule_total(s) == 2);  // inet fw is not an iptables table
  apply(s, {"ip", "filter", "INPUT", Operation::delete_chain, 0, 0});
  CHECK(s.tables.at({"ip", "filter"}).empty());
  apply(s, {"ip", "filter", "", Operation::delete_table, 0, 0});
  CHECK_FALSE(s.tables.contains({"ip", "filter"}));
}

TEST_CASE("table_state: the chain cap holds") {
  TableState s;
  for (std::size_t i = 0; i < kMaxChainsPerTable + 10; ++i)
    apply(s, {"ip", "nat", "C" + std::to_string(i), Operation::add_chain, 0, 0});
  CHECK(s.tables.at({"ip", "nat"}).size() == kMaxChainsPerTable);
  CHECK(s.truncated);
}
