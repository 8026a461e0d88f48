#include "monitor/verdict.h"

#include <doctest/doctest.h>

using namespace iptmode;
using namespace iptmode::monitor;

namespace {

Event write(Mode backend, std::string family, std::string table, Operation op) {
  Event e;
  e.backend = backend;
  e.family = std::move(family);
  e.table = std::move(table);
  e.op = op;
  e.iptables_table = backend == Mode::legacy || is_xtables_nft_table(e.family, e.table);
  return e;
}

}  // namespace

TEST_CASE("verdict: additions to the stale backend's iptables tables are wrong-backend") {
  CHECK(verdict(Mode::nft, write(Mode::legacy, "ip", "filter", Operation::change_rules)) ==
        Verdict::ok);  // no rule added
  Event added = write(Mode::legacy, "ip", "filter", Operation::change_rules);
  added.rules_added = 1;
  CHECK(verdict(Mode::nft, added) == Verdict::wrong_backend);
  CHECK(verdict(Mode::legacy, added) == Verdict::ok);
  CHECK(verdict(Mode::legacy, write(Mode::nft, "ip6", "nat", Operation::add_chain)) ==
        Verdict::wrong_backend);
  CHECK(verdict(Mode::nft, write(Mode::nft, "ip6", "nat", Operation::add_chain)) == Verdict::ok);
}

TEST_CASE("verdict: deletions from the stale backend and native tables are ok") {
  CHECK(verdict(Mode::nft, write(Mode::legacy, "ip", "nat", Operation::delete_chain)) ==
        Verdict::ok);
  CHECK(verdict(Mode::legacy, write(Mode::nft, "inet", "firewalld", Operation::add_rule)) ==
        Verdict::ok);
  CHECK(verdict(Mode::legacy, write(Mode::nft, "ip", "kube-proxy", Operation::add_rule)) ==
        Verdict::ok);
  // ebtables-nft and arptables-nft tables are iptables-nft's, but x_tables
  // has no counterpart the monitor reads: not a split.
  CHECK(verdict(Mode::legacy, write(Mode::nft, "bridge", "filter", Operation::add_rule)) ==
        Verdict::ok);
}

TEST_CASE("verdict: which nf_tables tables are iptables-nft's") {
  CHECK(is_xtables_nft_table("ip", "security"));
  CHECK(is_xtables_nft_table("ip6", "raw"));
  CHECK(is_xtables_nft_table("arp", "filter"));
  CHECK(is_xtables_nft_table("bridge", "broute"));
  CHECK_FALSE(is_xtables_nft_table("inet", "filter"));
  CHECK_FALSE(is_xtables_nft_table("ip", "firewalld"));
  CHECK_FALSE(is_xtables_nft_table("arp", "nat"));
}

TEST_CASE("verdict: rules iptables-nft cannot read back in its tables are foreign-rule") {
  Event e = write(Mode::nft, "ip", "filter", Operation::add_rule);
  e.rules_added = 1;
  e.foreign = ReadbackVerdict{Readback::fail, "ct", "parsing fails"};
  e.foreign_rules = 1;
  CHECK(verdict(Mode::nft, e) == Verdict::foreign_rule);
  // In the stale backend the split comes first.
  CHECK(verdict(Mode::legacy, e) == Verdict::wrong_backend);
  e.foreign.reset();
  CHECK(verdict(Mode::nft, e) == Verdict::ok);
}
