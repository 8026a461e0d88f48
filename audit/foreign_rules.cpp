#include "audit/foreign_rules.h"

#include <endian.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "audit/foreign_rules_attr.h"

namespace iptmode {
namespace {

// The expressions nft_is_expr_compatible accepts by name alone; limit and log
// only in the forms iptables writes (checked in incompatible()).
constexpr std::array<std::string_view, 10> kKnownExprs = {
    "match",   "target",  "payload",   "meta",   "cmp",
    "bitwise", "counter", "immediate", "lookup", "range"};

// One expression of a rule message, by its kernel attributes (NFTA_*):
// read straight from the netlink bytes, nothing allocated.
struct Expr {
  std::string_view name;
  std::array<const nlattr*, 16> a{};

  bool has(std::uint16_t t) const { return t < a.size() && a[t]; }
  // Every number attribute nf_tables sends is big-endian.
  std::uint32_t u32(std::uint16_t t) const { return has(t) ? nla::be32(a[t]) : 0; }
  // The attribute `want` nested inside attribute t.
  static const nlattr* inner(const nlattr* outer, std::uint16_t want) {
    if (!outer) return nullptr;
    const nlattr* found = nullptr;
    nla::each_nested(outer, [&](const nlattr* in) {
      if (nla::type(in) == want) found = in;
    });
    return found;
  }
  // NFTA_DATA_VALUE inside attribute t (cmp, range and immediate data).
  std::span<const std::uint8_t> data(std::uint16_t t) const {
    const nlattr* v = inner(has(t) ? a[t] : nullptr, NFTA_DATA_VALUE);
    if (!v) return {};
    return {static_cast<const std::uint8_t*>(nla::payload(v)), nla::payload_len(v)};
  }
  std::uint8_t u8(std::uint16_t t) const {
    auto d = data(t);
    return d.empty() ? 0 : d[0];
  }
  // An immediate's verdict code (NFTA_DATA_VERDICT / NFTA_VERDICT_CODE).
  std::optional<std::int32_t> verdict() const {
    const nlattr* v =
        inner(inner(has(NFTA_IMMEDIATE_DATA) ? a[NFTA_IMMEDIATE_DATA] : nullptr, NFTA_DATA_VERDICT),
              NFTA_VERDICT_CODE);
    if (!v || nla::payload_len(v) < 4) return std::nullopt;
    return static_cast<std::int32_t>(nla::be32(v));
  }
  std::string_view str(std::uint16_t t) const { return has(t) ? nla::str(a[t]) : ""; }
};

// The register file as iptables-nft's parser keeps it (struct nft_xt_ctx_reg).
struct Reg {
  enum Type { undef, payload, immediate, meta } type = undef;
  std::uint32_t base = 0, offset = 0, len = 0;  // payload
  std::uint32_t key = 0;                        // meta
  std::uint32_t value = 0;                      // immediate, first word
  bool bitwise = false;
};

struct Ctx {
  std::uint32_t family = 0;
  std::array<Reg, 17> regs{};
  std::uint8_t proto = 0;  // -p, from meta l4proto or ip protocol / ip6 nexthdr
  ReadbackVerdict v;
  // The first problem decides; a fail outranks a loss.
  void mark(Readback r, std::string expr, std::string why) {
    if (r <= v.outcome) return;
    v = {r, std::move(expr), std::move(why)};
  }
};

// nft_xt_ctx_get_sreg: registers 1-4 alias the 32-bit ones 0, 4, 8, 12.
Reg* reg(Ctx& c, std::uint32_t n, std::string_view expr) {
  if (n == NFT_REG_VERDICT) return &c.regs[0];
  if (n >= NFT_REG_1 && n <= NFT_REG_4) return &c.regs[1 + (n - NFT_REG_1) * 4];
  if (n >= NFT_REG32_00 && n <= NFT_REG32_15) return &c.regs[n - NFT_REG32_00];
  c.mark(Readback::fail, std::string(expr), "a register iptables-nft does not know");
  return nullptr;
}
Reg* dreg(Ctx& c, std::uint32_t n, std::string_view expr) {
  Reg* r = reg(c, n, expr);
  if (r) *r = Reg{};
  return r;
}

// nft_is_expr_compatible: a rule with any other expression makes the table
// incompatible.
std::optional<ReadbackVerdict> incompatible(const Expr& e) {
  const std::string_view n = e.name;
  if (std::find(kKnownExprs.begin(), kKnownExprs.end(), n) != kKnownExprs.end()) return {};
  if (n == "limit" && e.u32(NFTA_LIMIT_TYPE) == NFT_LIMIT_PKTS && e.u32(NFTA_LIMIT_FLAGS) == 0)
    return {};
  if (n == "log" && e.has(NFTA_LOG_GROUP)) return {};
  std::string why = "iptables-nft does not translate this expression";
  if (n == "limit") why = "only a packet limit without inversion is translated";
  if (n == "log") why = "only a log to an nflog group (-j NFLOG) is translated";
  return ReadbackVerdict{Readback::incompatible, std::string(n), why};
}

bool eq_or_neq(std::uint32_t op) {
  return op == NFT_CMP_EQ || op == NFT_CMP_NEQ;
}

// parse_meta of the ip/ip6 family ops, for a cmp against a loaded meta key.
void cmp_meta(Ctx& c, const Reg& r, const Expr& e) {
  const std::uint32_t op = e.u32(NFTA_CMP_OP);
  switch (r.key) {
    case NFT_META_L4PROTO:
      c.proto = static_cast<std::uint8_t>(e.u8(NFTA_CMP_DATA));
      break;
    case NFT_META_IIF:
    case NFT_META_OIF:
    case NFT_META_IIFNAME:
    case NFT_META_OIFNAME:
    case NFT_META_BRI_IIFNAME:
    case NFT_META_BRI_OIFNAME:
    case NFT_META_MARK:
    case NFT_META_PKTTYPE:
      break;
    default:
      c.mark(Readback::fail, fmt::format("meta key {}", r.key), "unknown ip meta key");
      return;
  }
  if (!eq_or_neq(op))
    c.mark(Readback::lossy, "meta cmp", "a comparison other than == / != is read as ==");
}

// parse_payload of the ip/ip6 family ops: the header fields -s, -d, -p,
// -f and the ttl/hl match.
void cmp_network(Ctx& c, const Reg& r, const Expr& e) {
  const std::uint32_t op = e.u32(NFTA_CMP_OP);
  const bool v4 = c.family == NFPROTO_IPV4;
  const std::uint32_t proto_off = v4 ? 9 : 6, ttl_off = v4 ? 8 : 7;
  const bool addr = v4 ? (r.offset == 12 || r.offset == 16) : (r.offset == 8 || r.offset == 24);
  const bool frag = v4 && r.offset == 6;
  if (r.offset == proto_off) {
    c.proto = static_cast<std::uint8_t>(e.u8(NFTA_CMP_DATA));
  } else if (r.offset == ttl_off) {
    if (op == NFT_CMP_LTE || op == NFT_CMP_GTE)
      c.mark(Readback::fail, "payload ttl/hoplimit", "invalid ttl field match");
    return;
  } else if (!addr && !frag) {
    c.mark(Readback::fail, fmt::format("payload @network+{}", r.offset), "unknown payload offset");
    return;
  }
  if (!eq_or_neq(op))
    c.mark(Readback::lossy, "payload cmp", "a comparison other than == / != is read as ==");
}

// nft_parse_transport: the ports and flags of the -p tcp/udp match, icmp
// type/code; what it does not recognise it skips without a word.
void cmp_transport(Ctx& c, const Reg& r, const Expr& e) {
  std::uint32_t len = 0;
  len = static_cast<std::uint32_t>(e.data(NFTA_CMP_DATA).size());
  const std::uint32_t op = e.u32(NFTA_CMP_OP);
  if (c.proto == IPPROTO_ICMP || c.proto == IPPROTO_ICMPV6) {
    const bool any_type = r.offset == 1;
    if (len < 1 || r.offset > 1 || (r.offset == 1 && len > 1) ||
        (any_type && c.family == NFPROTO_IPV6))
      c.mark(Readback::fail, "payload icmp", "an icmp match iptables-nft cannot build");
    else if (!eq_or_neq(op))
      c.mark(Readback::lossy, "payload icmp", "an icmp comparison other than == is read as ==");
    return;
  }
  if (c.proto != IPPROTO_TCP && c.proto != IPPROTO_UDP) {
    c.mark(Readback::fail, fmt::format("payload @transport+{}", r.offset),
           "a transport header match without -p tcp/udp/icmp (unsupported layer 4 protocol)");
    return;
  }
  const bool ports = (r.offset == 0 && (len == 2 || len == 4)) || (r.offset == 2 && len == 2);
  const bool flags = r.offset == 13 && len == 1 && c.proto == IPPROTO_TCP;
  if (!ports && !flags)
    c.mark(Readback::lossy, fmt::format("payload @transport+{}", r.offset),
           "a transport header field other than the ports or tcp flags is skipped");
}

void on_cmp(Ctx& c, const Expr& e) {
  Reg* r = reg(c, e.u32(NFTA_CMP_SREG), "cmp");
  if (!r) return;
  switch (r->type) {
    case Reg::undef:
      c.mark(Readback::fail, "cmp", "a comparison of a register nothing loaded");
      return;
    case Reg::meta:
      cmp_meta(c, *r, e);
      return;
    case Reg::immediate:
      c.mark(Readback::fail, "cmp", "a comparison of an immediate value");
      return;
    case Reg::payload:
      break;
  }
  if (r->base == NFT_PAYLOAD_NETWORK_HEADER)
    cmp_network(c, *r, e);
  else if (r->base == NFT_PAYLOAD_TRANSPORT_HEADER)
    cmp_transport(c, *r, e);
  else
    c.mark(Readback::lossy, "payload @link-layer", "a link-layer match is skipped in ip/ip6");
}

// nft_parse_range: port ranges only.
void on_range(Ctx& c, const Expr& e) {
  Reg* r = reg(c, e.u32(NFTA_RANGE_SREG), "range");
  if (!r) return;
  if (r->type != Reg::payload || r->base != NFT_PAYLOAD_TRANSPORT_HEADER) {
    c.mark(Readback::fail, "range", "a range over anything but a transport port");
    return;
  }
  std::uint32_t len = 0;
  len = static_cast<std::uint32_t>(e.data(NFTA_RANGE_FROM_DATA).size());
  const bool port = len == 2 && (r->offset == 0 || r->offset == 2);
  if (!port || (c.proto != IPPROTO_TCP && c.proto != IPPROTO_UDP))
    c.mark(Readback::lossy, "range", "a range other than a tcp/udp port range is skipped");
}

void on_immediate(Ctx& c, const Expr& e) {
  if (auto d = e.data(NFTA_IMMEDIATE_DATA); !d.empty()) {
    Reg* r = dreg(c, e.u32(NFTA_IMMEDIATE_DREG), "immediate");
    if (!r) return;
    if (d.size() > 16) return c.mark(Readback::fail, "immediate", "oversized immediate data");
    r->type = Reg::immediate;
    std::memcpy(&r->value, d.data(), std::min(d.size(), sizeof r->value));
    return;
  }
  const std::int32_t v = e.verdict().value_or(NF_ACCEPT);
  if (v != NF_ACCEPT && v != NF_DROP && v != NFT_RETURN && v != NFT_JUMP && v != NFT_GOTO)
    c.mark(Readback::lossy, "immediate verdict",
           "a verdict other than accept/drop/return/jump/goto is dropped");
}

void on_meta(Ctx& c, const Expr& e) {
  if (!e.has(NFTA_META_SREG)) {
    Reg* r = dreg(c, e.u32(NFTA_META_DREG), "meta");
    if (!r) return;
    r->type = Reg::meta;
    r->key = e.u32(NFTA_META_KEY);
    return;
  }
  // nft_meta_set_to_target: only "meta nftrace set 1" (-j TRACE).
  Reg* s = reg(c, e.u32(NFTA_META_SREG), "meta set");
  if (!s) return;
  const std::uint32_t key = e.u32(NFTA_META_KEY);
  if (key == NFT_META_NFTRACE && s->type == Reg::immediate && s->value != 0) return;
  c.mark(Readback::fail,
         key == NFT_META_MARK ? "meta mark set" : fmt::format("meta set key {}", key),
         "meta sreg key not supported (iptables-nft 1.8.10 reads meta mark set as -j MARK)");
}

void on_bitwise(Ctx& c, const Expr& e) {
  Reg* s = reg(c, e.u32(NFTA_BITWISE_SREG), "bitwise");
  Reg* d = reg(c, e.u32(NFTA_BITWISE_DREG), "bitwise");
  if (!s || !d) return;
  if (d != s) *d = *s;
  d->bitwise = true;
  if (e.u32(NFTA_BITWISE_OP) != NFT_BITWISE_BOOL)
    c.mark(Readback::lossy, "bitwise shift", "a shift is read as a mask");
}

void on_expr(Ctx& c, const Expr& e) {
  const std::string_view n = e.name;
  if (n == "payload") {
    if (e.has(NFTA_PAYLOAD_SREG))
      return c.mark(Readback::lossy, "payload set", "a header rewrite is skipped");
    Reg* r = dreg(c, e.u32(NFTA_PAYLOAD_DREG), "payload");
    if (!r) return;
    *r = Reg{Reg::payload, e.u32(NFTA_PAYLOAD_BASE), e.u32(NFTA_PAYLOAD_OFFSET),
             e.u32(NFTA_PAYLOAD_LEN)};
  } else if (n == "meta") {
    on_meta(c, e);
  } else if (n == "bitwise") {
    on_bitwise(c, e);
  } else if (n == "cmp") {
    on_cmp(c, e);
  } else if (n == "immediate") {
    on_immediate(c, e);
  } else if (n == "range") {
    on_range(c, e);
  } else if (n == "lookup") {
    // The ip/ip6 family ops have no parse_lookup: a set match, a map or a
    // verdict map is skipped, and with it whatever it loaded.
    c.mark(Readback::lossy, fmt::format("lookup @{}", e.str(NFTA_LOOKUP_SET)),
           "a set or map lookup is skipped: the rule is saved without it");
  }
}

}  // namespace

std::string_view to_string(Readback r) {
  switch (r) {
    case Readback::ok:
      return "ok";
    case Readback::lossy:
      return "lossy";
    case Readback::fail:
      return "fail";
    case Readback::incompatible:
      return "incompatible";
  }
  return "?";
}

namespace {

// The expressions of NFTA_RULE_EXPRESSIONS, each walked once, into `out`
// (cleared; a buffer the caller keeps, so a million rules allocate nothing).
void read_exprs(const nlattr* exprs, std::vector<Expr>& out) {
  out.clear();
  nla::each_nested(exprs, [&](const nlattr* elem) {
    if (nla::type(elem) != NFTA_LIST_ELEM) return;
    Expr& e = out.emplace_back();
    nla::each_nested(elem, [&](const nlattr* in) {
      if (nla::type(in) == NFTA_EXPR_NAME) {
        e.name = nla::str(in);
      } else if (nla::type(in) == NFTA_EXPR_DATA) {
        nla::each_nested(in, [&](const nlattr* d) {
          if (nla::type(d) < e.a.size()) e.a[nla::type(d)] = d;
        });
      }
    });
  });
}

// The comment record (type 0, NUL-terminated) of a rule's userdata TLVs.
std::string comment_of(const unsigned char* p, std::uint32_t len) {
  for (std::uint32_t i = 0; p && i + 2 <= len;) {
    const unsigned type = p[i], n = p[i + 1];
    if (i + 2 + n > len) break;
    const auto* text = reinterpret_cast<const char*>(p + i + 2);
    if (type == 0) return {text, strnlen(text, n)};
    i += 2 + n;
  }
  return {};
}

}  // namespace

RuleReading classify_rule_msg(const nlmsghdr* nlh, std::uint32_t family) {
  RuleReading out;
  const nlattr* exprs = nullptr;
  const nlattr* userdata = nullptr;
  const std::size_t head = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg));
  if (nlh->nlmsg_len < head) return out;
  nla::each(reinterpret_cast<const char*>(nlh) + head, nlh->nlmsg_len - head, [&](const nlattr* a) {
    switch (nla::type(a)) {
      case NFTA_RULE_EXPRESSIONS:
        exprs = a;
        break;
      case NFTA_RULE_HANDLE:
        if (nla::payload_len(a) >= 8) {
          std::uint64_t h = 0;
          std::memcpy(&h, nla::payload(a), sizeof h);
          out.handle = be64toh(h);
        }
        break;
      case NFTA_RULE_USERDATA:
        userdata = a;
        break;
      default:
        break;
    }
  });
  if (!exprs) return out;
  thread_local std::vector<Expr> list;
  read_exprs(exprs, list);
  // The table check runs first and over every rule: one incompatible
  // expression anywhere and nothing is parsed.
  for (const Expr& e : list)
    if (auto bad = incompatible(e)) {
      out.verdict = std::move(*bad);
      break;
    }
  if (out.verdict.outcome == Readback::ok) {
    Ctx c;
    c.family = family;
    for (const Expr& e : list) on_expr(c, e);
    out.verdict = std::move(c.v);
  }
  // Only a finding names its comment: a million ok rules copy none.
  if (out.verdict.outcome != Readback::ok && userdata)
    out.comment = comment_of(static_cast<const unsigned char*>(nla::payload(userdata)),
                             nla::payload_len(userdata));
  return out;
}

ReadbackVerdict classify_rule(const nftnl_rule* r, std::uint32_t family) {
  std::vector<char> buf(256 * 1024);
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWRULE, static_cast<std::uint16_t>(family), 0, 0);
  nftnl_rule_nlmsg_build_payload(nlh, const_cast<nftnl_rule*>(r));
  return classify_rule_msg(nlh, family).verdict;
}

namespace {

struct BuiltinChain {
  std::string_view table, name, type;
  std::uint32_t hook;
  std::int32_t prio;
};

// iptables/nft.c xtables_ipv4 (the same for ip6) at v1.8.9.
constexpr std::array<BuiltinChain, 17> kBuiltin = {{
    {"raw", "PREROUTING", "filter", NF_INET_PRE_ROUTING, -300},
    {"raw", "OUTPUT", "filter", NF_INET_LOCAL_OUT, -300},
    {"mangle", "PREROUTING", "filter", NF_INET_PRE_ROUTING, -150},
    {"mangle", "INPUT", "filter", NF_INET_LOCAL_IN, -150},
    {"mangle", "FORWARD", "filter", NF_INET_FORWARD, -150},
    {"mangle", "OUTPUT", "route", NF_INET_LOCAL_OUT, -150},
    {"mangle", "POSTROUTING", "filter", NF_INET_POST_ROUTING, -150},
    {"filter", "INPUT", "filter", NF_INET_LOCAL_IN, 0},
    {"filter", "FORWARD", "filter", NF_INET_FORWARD, 0},
    {"filter", "OUTPUT", "filter", NF_INET_LOCAL_OUT, 0},
    {"security", "INPUT", "filter", NF_INET_LOCAL_IN, 150},
    {"security", "FORWARD", "filter", NF_INET_FORWARD, 150},
    {"security", "OUTPUT", "filter", NF_INET_LOCAL_OUT, 150},
    {"nat", "PREROUTING", "nat", NF_INET_PRE_ROUTING, -100},
    {"nat", "INPUT", "nat", NF_INET_LOCAL_IN, 100},
    {"nat", "POSTROUTING", "nat", NF_INET_POST_ROUTING, 100},
    {"nat", "OUTPUT", "nat", NF_INET_LOCAL_OUT, -100},
}};

std::string_view hook_name(std::uint32_t h) {
  static constexpr std::array<std::string_view, 5> kNames = {"prerouting", "input", "forward",
                                                             "output", "postrouting"};
  return h < kNames.size() ? kNames[h] : "?";
}

std::string_view str(const nftnl_chain* c, std::uint16_t attr) {
  const char* s = nftnl_chain_is_set(c, attr) ? nftnl_chain_get_str(c, attr) : nullptr;
  return s ? s : "";
}

}  // namespace

ReadbackVerdict classify_chain(std::string_view table, const nftnl_chain* c) {
  if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) return {};
  const std::uint32_t hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
  const auto prio = static_cast<std::int32_t>(nftnl_chain_get_u32(c, NFTNL_CHAIN_PRIO));
  const std::string_view name = str(c, NFTNL_CHAIN_NAME), type = str(c, NFTNL_CHAIN_TYPE);
  const auto* b = std::find_if(kBuiltin.begin(), kBuiltin.end(), [&](const BuiltinChain& x) {
    return x.table == table && x.hook == hook;
  });
  std::string shape =
      fmt::format("base chain (type {} hook {} priority {})", type, hook_name(hook), prio);
  if (b == kBuiltin.end())
    return {Readback::lossy, shape,
            "no built-in chain of this table has that hook: left out of the save"};
  if (b->name != name || b->type != type || b->prio != prio)
    return {Readback::lossy, shape,
            fmt::format("the built-in chain for this hook is {} (type {} priority {}): left out of "
                        "the save with its rules",
                        b->name, b->type, b->prio)};
  return {};
}

std::string rule_comment(const nftnl_rule* r) {
  if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) return {};
  std::uint32_t len = 0;
  const void* p = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
  return comment_of(static_cast<const unsigned char*>(p), len);
}

}  // namespace iptmode
