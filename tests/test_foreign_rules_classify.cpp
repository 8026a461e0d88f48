// audit/foreign_rules: the model of iptables-nft 1.8.9's reading over rules
// and chains built by hand with libnftnl (the real oracle runs in
// tests/test_foreign_rules.cpp).
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <bit>

#include <cstring>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "audit/foreign_rules.h"

namespace iptmode {
namespace {

struct Rule {
  std::unique_ptr<nftnl_rule, decltype(&nftnl_rule_free)> r{nftnl_rule_alloc(), nftnl_rule_free};

  nftnl_expr* add(const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    nftnl_rule_add_expr(r.get(), e);
    return e;
  }
  Rule& payload(std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
    nftnl_expr* e = add("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    return *this;
  }
  Rule& meta(std::uint32_t key) {
    nftnl_expr* e = add("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    return *this;
  }
  Rule& cmp(std::uint32_t op, const void* data, std::uint32_t len) {
    nftnl_expr* e = add("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    return *this;
  }
  Rule& cmp8(std::uint8_t v, std::uint32_t op = NFT_CMP_EQ) { return cmp(op, &v, 1); }
  Rule& cmp16(std::uint16_t v) {
    const std::uint16_t be = std::byteswap(v);
    return cmp(NFT_CMP_EQ, &be, 2);
  }
  Rule& verdict(int v) {
    nftnl_expr* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(v));
    return *this;
  }
  Rule& lookup(const char* set) {
    nftnl_expr* e = add("lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
    return *this;
  }
  Rule& tcp() { return meta(NFT_META_L4PROTO).cmp8(IPPROTO_TCP); }
  ReadbackVerdict v4() const { return classify_rule(r.get(), NFPROTO_IPV4); }
};

}  // namespace

TEST_CASE("foreign rules: what iptables-nft writes itself reads back") {
  const std::uint32_t addr = std::byteswap(std::uint32_t{0xc0000201});
  CHECK(Rule{}
            .payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4)
            .cmp(NFT_CMP_EQ, &addr, 4)
            .verdict(NF_ACCEPT)
            .v4()
            .outcome == Readback::ok);
  Rule port;
  port.tcp().payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2).cmp16(80);
  port.add("counter");
  port.verdict(NF_DROP);
  CHECK(port.v4().outcome == Readback::ok);
  Rule limit;
  nftnl_expr* l = limit.add("limit");
  nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
  nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_FLAGS, 0);
  CHECK(limit.v4().outcome == Readback::ok);
}

TEST_CASE("foreign rules: an expression iptables-nft does not know makes the table incompatible") {
  Rule ct;
  nftnl_expr* e = ct.add("ct");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
  ct.verdict(NF_ACCEPT);
  auto v = ct.v4();
  CHECK(v.outcome == Readback::incompatible);
  CHECK(v.expr == "ct");
  // A log without a group, a byte limit: not the forms iptables-nft writes.
  Rule log;
  log.add("log");
  CHECK(log.v4().outcome == Readback::incompatible);
  Rule bytes;
  nftnl_expr* b = bytes.add("limit");
  nftnl_expr_set_u32(b, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKT_BYTES);
  CHECK(bytes.v4().outcome == Readback::incompatible);
  // Incompatible wins over a fail earlier in the rule: nothing is parsed.
  Rule both;
  both.payload(NFT_PAYLOAD_NETWORK_HEADER, 1, 1).cmp8(0x20);
  both.add("ct");
  CHECK(both.v4().outcome == Readback::incompatible);
}

TEST_CASE("foreign rules: a set lookup or verdict map is skipped: lossy") {
  auto v = Rule{}.payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4).lookup("s1").verdict(NF_ACCEPT).v4();
  CHECK(v.outcome == Readback::lossy);
  CHECK(v.expr == "lookup @s1");
  CHECK(Rule{}.tcp().payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2).lookup("__set0").v4().outcome ==
        Readback::lossy);
}

TEST_CASE("foreign rules: what the parser refuses fails the save") {
  // meta mark set 0x1: immediate into reg 1, meta set from it.
  Rule mark;
  nftnl_expr* imm = mark.add("immediate");
  const std::uint32_t one = 1;
  nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, &one, 4);
  nftnl_expr* set = mark.add("meta");
  nftnl_expr_set_u32(set, NFTNL_EXPR_META_KEY, NFT_META_MARK);
  nftnl_expr_set_u32(set, NFTNL_EXPR_META_SREG, NFT_REG_1);
  auto v = mark.v4();
  CHECK(v.outcome == Readback::fail);
  CHECK(v.expr == "meta mark set");
  // ... while meta nftrace set 1 is -j TRACE.
  nftnl_expr_set_u32(set, NFTNL_EXPR_META_KEY, NFT_META_NFTRACE);
  CHECK(mark.v4().outcome == Readback::ok);
  // ip dscp: a network header field -s/-d/-p/-f/ttl do not cover.
  CHECK(Rule{}.payload(NFT_PAYLOAD_NETWORK_HEADER, 1, 1).cmp8(0x20).v4().outcome == Readback::fail);
  // sctp dport: a transport match without tcp/udp/icmp.
  CHECK(Rule{}
            .meta(NFT_META_L4PROTO)
            .cmp8(IPPROTO_SCTP)
            .payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2)
            .cmp16(80)
            .v4()
            .outcome == Readback::fail);
  // A meta key the ip family ops do not parse.
  CHECK(Rule{}.meta(NFT_META_CGROUP).cmp8(1).v4().outcome == Readback::fail);
}

TEST_CASE("foreign rules: ip6 offsets are ip6's") {
  std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
  Rule src;
  src.payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 16).cmp(NFT_CMP_EQ, a, 16);
  CHECK(classify_rule(src.r.get(), NFPROTO_IPV6).outcome == Readback::ok);
  // Offset 12 is ip's saddr, inside ip6's source address: unknown there.
  Rule mid;
  mid.payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4).cmp(NFT_CMP_EQ, a, 4);
  CHECK(classify_rule(mid.r.get(), NFPROTO_IPV6).outcome == Readback::fail);
}

TEST_CASE("foreign rules: a base chain iptables-nft does not know is left out") {
  std::unique_ptr<nftnl_chain, decltype(&nftnl_chain_free)> c(nftnl_chain_alloc(),
                                                              nftnl_chain_free);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, "INPUT");
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, 0);
  CHECK(classify_chain("filter", c.get()).outcome == Readback::ok);
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, 10);
  CHECK(classify_chain("filter", c.get()).outcome == Readback::lossy);
  // nat INPUT is type nat priority 100; raw has no INPUT hook at all.
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "nat");
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, 100);
  CHECK(classify_chain("nat", c.get()).outcome == Readback::ok);
  CHECK(classify_chain("raw", c.get()).outcome == Readback::lossy);
  // A regular chain is any name.
  std::unique_ptr<nftnl_chain, decltype(&nftnl_chain_free)> user(nftnl_chain_alloc(),
                                                                 nftnl_chain_free);
  nftnl_chain_set_str(user.get(), NFTNL_CHAIN_NAME, "native-x");
  CHECK(classify_chain("filter", user.get()).outcome == Readback::ok);
}

TEST_CASE("foreign rules: the comment comes from the rule's userdata") {
  Rule r;
  const unsigned char udata[] = {0, 6, 'c', 'a', 'l', 'i', ':', 0};
  nftnl_rule_set_data(r.r.get(), NFTNL_RULE_USERDATA, udata, sizeof udata);
  CHECK(rule_comment(r.r.get()) == "cali:");
  CHECK(rule_comment(Rule{}.r.get()).empty());
  const unsigned char truncated[] = {0, 9, 'x'};
  nftnl_rule_set_data(r.r.get(), NFTNL_RULE_USERDATA, truncated, sizeof truncated);
  CHECK(rule_comment(r.r.get()).empty());
}

}  // namespace iptmode
