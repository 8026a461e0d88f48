// The transaction builder over messages as the kernel sends them, built with
// libnftnl and libmnl (the socket itself is tested in tests/test_monitor.cpp).
#include "monitor/nft_events.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <array>
#include <cstdint>
#include <vector>

#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

using namespace iptmode::monitor;

namespace {

struct Feed {
  iptmode::monitor::TransactionBuilder b;
  std::vector<NftTransaction> done;
  std::vector<std::uint32_t> firsts;
  std::array<char, 8192> buf{};

  void send(nlmsghdr* nlh) {
    b.on_message(nlh, done, [&](std::uint32_t p) { firsts.push_back(p); });
  }
  nlmsghdr* hdr(int type, int family, std::uint32_t portid) {
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), static_cast<std::uint16_t>(type),
                                          static_cast<std::uint16_t>(family), 0, 1);
    nlh->nlmsg_pid = portid;
    return nlh;
  }
  void table(int type, int family, const char* name, std::uint32_t portid = 77) {
    nlmsghdr* nlh = hdr(type, family, portid);
    nftnl_table* t = nftnl_table_alloc();
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    send(nlh);
  }
  void chain(int type, int family, const char* table, const char* name) {
    nlmsghdr* nlh = hdr(type, family, 77);
    nftnl_chain* c = nftnl_chain_alloc();
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
    nftnl_chain_nlmsg_build_payload(nlh, c);
    nftnl_chain_free(c);
    send(nlh);
  }
  // `ct`: the rule is `ct state ... accept`, as native nft writes it.
  void rule(int type, int family, const char* table, const char* chain, bool ct = false) {
    nlmsghdr* nlh = hdr(type, family, 77);
    nftnl_rule* r = nftnl_rule_alloc();
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    if (ct) {
      nftnl_expr* e = nftnl_expr_alloc("ct");
      nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
      nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
      nftnl_rule_add_expr(r, e);
      nftnl_expr* v = nftnl_expr_alloc("immediate");
      nftnl_expr_set_u32(v, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
      nftnl_expr_set_u32(v, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
      nftnl_rule_add_expr(r, v);
    }
    nftnl_rule_nlmsg_build_payload(nlh, r);
    nftnl_rule_free(r);
    send(nlh);
  }
  void gen(std::uint32_t id, std::uint32_t pid, const char* comm) {
    nlmsghdr* nlh = hdr(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, 77);
    mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(id));
    mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(pid));
    mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, comm);
    send(nlh);
  }
};

}  // namespace

TEST_CASE("nft_events: one transaction per NEWGEN, rules tallied per chain, in order") {
  Feed f;
  f.table(NFT_MSG_NEWTABLE, NFPROTO_IPV4, "filter");
  f.chain(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, "filter", "INPUT");
  for (int i = 0; i < 3; ++i) f.rule(NFT_MSG_NEWRULE, NFPROTO_IPV4, "filter", "INPUT");
  f.rule(NFT_MSG_DELRULE, NFPROTO_IPV6, "nat", "KUBE-SVC");
  f.rule(NFT_MSG_NEWRULE, NFPROTO_IPV4, "filter", "INPUT");
  CHECK(f.done.empty());
  f.gen(42, 1234, "iptables-nft");
  REQUIRE(f.done.size() == 1);
  const NftTransaction& t = f.done[0];
  CHECK(t.generation == 42);
  CHECK(t.pid == 1234);
  CHECK(t.comm == "iptables-nft");
  REQUIRE(t.changes.size() == 4);
  CHECK((t.changes[0].op == Operation::add_table && t.changes[0].table == "filter" &&
         t.changes[0].family == "ip"));
  CHECK((t.changes[1].op == Operation::add_chain && t.changes[1].chain == "INPUT"));
  CHECK((t.changes[2].op == Operation::add_rule && t.changes[2].added == 4));
  CHECK((t.changes[3].op == Operation::delete_rule && t.changes[3].family == "ip6" &&
         t.changes[3].chain == "KUBE-SVC" && t.changes[3].deleted == 1));
  CHECK(f.firsts == std::vector<std::uint32_t>{77});

  f.table(NFT_MSG_DELTABLE, NFPROTO_INET, "firewalld", 99);
  f.gen(43, 5, "nft");
  REQUIRE(f.done.size() == 2);
  CHECK(f.done[1].changes.size() == 1);
  CHECK(f.done[1].changes[0].family == "inet");
  CHECK(f.done[1].changes[0].op == Operation::delete_table);
  CHECK(f.firsts == std::vector<std::uint32_t>{77, 99});
}

TEST_CASE("nft_events: a reset drops the transaction under way; a huge one is capped") {
  Feed f;
  f.rule(NFT_MSG_NEWRULE, NFPROTO_IPV4, "filter", "INPUT");
  f.b.reset();
  f.gen(1, 2, "x");
  REQUIRE(f.done.size() == 1);
  CHECK(f.done[0].changes.empty());

  for (std::size_t i = 0; i < kMaxChangesPerTransaction + 5; ++i) {
    const std::string name = "C" + std::to_string(i);
    f.chain(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, "nat", name.c_str());
  }
  f.gen(2, 2, "x");
  REQUIRE(f.done.size() == 2);
  CHECK(f.done[1].changes.size() == kMaxChangesPerTransaction);
  CHECK(f.done[1].more == 5);
}

TEST_CASE("nft_events: rules iptables-nft cannot read back are classified, in its tables only") {
  Feed f;
  f.rule(NFT_MSG_NEWRULE, NFPROTO_IPV4, "filter", "INPUT", true);
  f.rule(NFT_MSG_NEWRULE, NFPROTO_IPV4, "filter", "INPUT", true);
  f.rule(NFT_MSG_NEWRULE, NFPROTO_INET, "filter", "input", true);  // a native table
  f.rule(NFT_MSG_NEWRULE, NFPROTO_IPV6, "mangle", "OUTPUT", true);
  f.rule(NFT_MSG_DELRULE, NFPROTO_IPV4, "nat", "OUTPUT", true);  // deletions are not looked at
  f.gen(7, 8, "nft");
  REQUIRE(f.done.size() == 1);
  const auto& c = f.done[0].changes;
  const auto& fo = f.done[0].foreign;
  REQUIRE(c.size() == 4);
  REQUIRE(fo.size() == 4);
  REQUIRE(fo[0].worst.has_value());
  CHECK(fo[0].worst->expr == "ct");
  CHECK(fo[0].worst->outcome != iptmode::Readback::ok);
  CHECK(fo[0].rules == 2);
  CHECK(c[0].added == 2);
  CHECK_FALSE(fo[1].worst.has_value());
  CHECK(c[1].family == "inet");
  REQUIRE(fo[2].worst.has_value());
  CHECK(c[2].family == "ip6");
  CHECK_FALSE(fo[3].worst.has_value());
}
