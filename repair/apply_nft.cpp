#include "repair/apply_nft.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "detect/nft_session.h"

namespace iptmode::repair {
namespace {

using nft::family_number;
// The batch answers of a large plan: room for many acks per read.
constexpr std::size_t kReceiveBuffer = 256 * 1024;

// A batch under construction: each message appended at the end.
class Batch {
 public:
  Batch(nft::Session& s, std::uint32_t genid) : s_(s) {
    nlmsghdr* nlh = nftnl_batch_begin(room(), s_.next_seq());
    if (genid) mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
    commit(nlh);
  }
  template <class Obj, class Build>
  void add(std::uint16_t type, std::string_view family, Obj* obj, Build build) {
    last_ = s_.next_seq();
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(room(), type, family_number(family), 0, last_);
    build(nlh, obj);
    commit(nlh);
    ++count_;
  }
  // Ends the batch; the last command asks for the ack.
  std::uint32_t finish() {
    if (last_hdr_ >= 0)
      reinterpret_cast<nlmsghdr*>(buf_.data() + last_hdr_)->nlmsg_flags |= NLM_F_ACK;
    commit(nftnl_batch_end(room(), s_.next_seq()));
    return last_;
  }
  const std::vector<char>& bytes() const { return buf_; }
  std::size_t count() const { return count_; }

 private:
  static constexpr std::size_t kRoom = 8192;  // more than any one message here
  char* room() {
    buf_.resize(used_ + kRoom);
    return buf_.data() + used_;
  }
  void commit(nlmsghdr* nlh) {
    if (nlh->nlmsg_type != NFNL_MSG_BATCH_BEGIN && nlh->nlmsg_type != NFNL_MSG_BATCH_END)
      last_hdr_ = static_cast<std::ptrdiff_t>(used_);
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
    buf_.resize(used_);
  }
  nft::Session& s_;
  std::vector<char> buf_;
  std::size_t used_ = 0;
  std::ptrdiff_t last_hdr_ = -1;
  std::uint32_t last_ = 0;
  std::size_t count_ = 0;
};

template <class T, void (*Free)(const T*)>
struct Owned {
  struct Del {
    void operator()(T* t) const { Free(t); }
  };
  std::unique_ptr<T, Del> p;
  explicit Owned(T* raw) : p(raw) {}
  T* get() const { return p.get(); }
};
using NlRule = Owned<nftnl_rule, nftnl_rule_free>;
using NlChain = Owned<nftnl_chain, nftnl_chain_free>;
using NlTable = Owned<nftnl_table, nftnl_table_free>;

struct DumpedRule {
  std::uint64_t handle = 0;
  std::string target;  // an immediate jump/goto's chain
};

std::string verdict_chain(nftnl_rule* r) {
  std::string target;
  nftnl_expr_iter* it = nftnl_expr_iter_create(r);
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
    const char* name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    if (!name || std::strcmp(name, "immediate") != 0 ||
        !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT))
      continue;
    const auto v = static_cast<std::int32_t>(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT));
    if ((v == NFT_JUMP || v == NFT_GOTO) && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
      target = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
  }
  nftnl_expr_iter_destroy(it);
  return target;
}

// The rules of one chain, in order; nullopt when the dump was interrupted.
Result<std::optional<std::vector<DumpedRule>>> dump_chain(nft::Session& s,
                                                          const std::string& family,
                                                          const std::string& table,
                                                          const std::string& chain) {
  std::vector<char> req(8192);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETRULE, family_number(family),
                                        NLM_F_DUMP, s.next_seq());
  NlRule q(nftnl_rule_alloc());
  nftnl_rule_set_str(q.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(q.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_nlmsg_build_payload(nlh, q.get());
  std::vector<DumpedRule> out;
  auto r = s.exchange(nlh, [&](const nlmsghdr* m) {
    NlRule rule(nftnl_rule_alloc());
    if (nftnl_rule_nlmsg_parse(m, rule.get()) < 0) return;
    // Older kernels ignore the chain filter: keep only this chain's rules.
    const char* c = nftnl_rule_get_str(rule.get(), NFTNL_RULE_CHAIN);
    if (!c || chain != c) return;
    out.push_back({nftnl_rule_get_u64(rule.get(), NFTNL_RULE_HANDLE), verdict_chain(rule.get())});
  });
  if (!r) {
    if (r.error().errnum == EINTR) return std::optional<std::vector<DumpedRule>>{};
    return std::unexpected(r.error());
  }
  return std::optional{std::move(out)};
}

void del_rule(Batch& b, const std::string& family, const std::string& table,
              const std::string& chain, std::optional<std::uint64_t> handle) {
  NlRule r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  if (handle) nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, *handle);
  b.add(NFT_MSG_DELRULE, family, r.get(), nftnl_rule_nlmsg_build_payload);
}

void del_table(Batch& b, const std::string& family, const std::string& table) {
  NlTable t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  b.add(NFT_MSG_DELTABLE, family, t.get(), nftnl_table_nlmsg_build_payload);
}

// The planned jumps of one table, by handle; nullopt when the chain is no
// longer what the save showed.
Result<std::optional<std::vector<std::pair<std::string, std::uint64_t>>>> jump_handles(
    nft::Session& s, const TablePlan& t) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::optional<std::vector<DumpedRule>> rules;
  std::string dumped;
  for (const auto& j : t.jumps) {
    if (j.chain != dumped) {
      auto d = dump_chain(s, t.family, t.table, j.chain);
      if (!d) return std::unexpected(d.error());
      rules = std::move(*d);
      dumped = j.chain;
    }
    if (!rules || rules->size() != j.chain_rules || (*rules)[j.index].target != j.target)
      return std::optional<std::vector<std::pair<std::string, std::uint64_t>>>{};
    out.emplace_back(j.chain, (*rules)[j.index].handle);
  }
  return std::optional{std::move(out)};
}

}  // namespace

Result<std::uint32_t> nft_generation() {
  nft::Session s(kReceiveBuffer);
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  return nft::generation(s);
}

Result<Applied> apply_nft(const Plan& p, std::uint32_t genid) {
  nft::Session s(kReceiveBuffer);
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  Batch b(s, genid);
  for (const auto& t : p.tables) {
    if (t.delete_table) {
      del_table(b, t.family, t.table);
      continue;
    }
    auto handles = jump_handles(s, t);
    if (!handles) return std::unexpected(handles.error());
    if (!*handles) return Applied::changed;
    for (const auto& [chain, h] : **handles) del_rule(b, t.family, t.table, chain, h);
    for (const auto& c : t.chains) del_rule(b, t.family, t.table, c.name, std::nullopt);
    for (const auto& c : t.chains) {
      NlChain ch(nftnl_chain_alloc());
      nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, t.table.c_str());
      nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, c.name.c_str());
      b.add(NFT_MSG_DELCHAIN, t.family, ch.get(), nftnl_chain_nlmsg_build_payload);
    }
  }
  if (b.count() == 0) return Applied::yes;
  const auto last = b.finish();
  if (auto r = s.send_batch(b.bytes(), last); !r) {
    // The generation check, or a chain someone else just started to use.
    if (r.error().errnum == ERESTART || r.error().errnum == EBUSY || r.error().errnum == ENOENT)
      return Applied::changed;
    return std::unexpected(r.error());
  }
  return Applied::yes;
}

Result<void> delete_nft_tables(const std::vector<std::pair<std::string, std::string>>& tables) {
  if (tables.empty()) return {};
  nft::Session s(kReceiveBuffer);
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  Batch b(s, 0);
  for (const auto& [family, table] : tables) del_table(b, family, table);
  return s.send_batch(b.bytes(), b.finish());
}

}  // namespace iptmode::repair
