#include "repair/apply_nft.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>

#include <fmt/format.h>

namespace iptmode::repair {
namespace {

std::unexpected<Error> nl_fail(std::string_view what, int e) {
  return fail(fmt::format("nf_tables {}: {}", what, std::strerror(e)), e);
}

std::uint16_t family_number(std::string_view f) {
  return f == "ip6" ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

class Socket {
 public:
  Result<void> open() {
    nl_ = mnl_socket_open(NETLINK_NETFILTER);
    if (!nl_) return nl_fail("socket", errno);
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return nl_fail("bind", errno);
    portid_ = mnl_socket_get_portid(nl_);
    return {};
  }
  ~Socket() {
    if (nl_) mnl_socket_close(nl_);
  }
  std::uint32_t seq() { return ++seq_; }

  // Sends one request and hands every answer to `fn` until its end or ack.
  Result<void> exchange(const nlmsghdr* req, const std::function<void(const nlmsghdr*)>& fn) {
    if (mnl_socket_sendto(nl_, req, req->nlmsg_len) < 0) return nl_fail("send", errno);
    auto cb = [](const nlmsghdr* m, void* d) -> int {
      (*static_cast<const std::function<void(const nlmsghdr*)>*>(d))(m);
      return MNL_CB_OK;
    };
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
      if (n < 0) return nl_fail("receive", errno);
      const int r = mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), req->nlmsg_seq, portid_,
                               cb, const_cast<std::function<void(const nlmsghdr*)>*>(&fn));
      if (r == MNL_CB_STOP) return {};
      if (r < 0) return nl_fail("request", errno);
    }
  }

  // The kernel runs a batch inside sendmsg, so every answer is queued when
  // it returns: read them without waiting. Only the last message asks for an
  // ack; any error, from any message, means the batch was not committed.
  Result<void> send_batch(const std::vector<char>& batch, std::uint32_t last_seq) {
    int size = static_cast<int>(batch.size()) + 65536;
    (void)setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    if (mnl_socket_sendto(nl_, batch.data(), batch.size()) < 0) return nl_fail("send", errno);
    const int fd = mnl_socket_get_fd(nl_);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    bool acked = false;
    int error = 0;
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return nl_fail("receive", errno);
      }
      int len = static_cast<int>(n);
      for (auto* m = reinterpret_cast<const nlmsghdr*>(buf_.data()); mnl_nlmsg_ok(m, len);
           m = mnl_nlmsg_next(m, &len))
        if (m->nlmsg_type == NLMSG_ERROR) {
          const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
          if (e->error != 0 && error == 0) error = -e->error;
          if (e->error == 0 && m->nlmsg_seq == last_seq) acked = true;
        }
    }
    if (error) return nl_fail("batch", error);
    if (!acked) return fail("nf_tables batch: the kernel did not acknowledge it", EPROTO);
    return {};
  }

 private:
  mnl_socket* nl_ = nullptr;
  unsigned portid_ = 0;
  std::uint32_t seq_ = static_cast<std::uint32_t>(std::time(nullptr));
  std::vector<char> buf_ = std::vector<char>(256 * 1024);
};

// A batch under construction: each message appended at the end.
class Batch {
 public:
  Batch(Socket& s, std::uint32_t genid) : s_(s) {
    nlmsghdr* nlh = nftnl_batch_begin(room(), s_.seq());
    if (genid) mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
    commit(nlh);
  }
  template <class Obj, class Build>
  void add(std::uint16_t type, std::string_view family, Obj* obj, Build build) {
    last_ = s_.seq();
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(room(), type, family_number(family), 0, last_);
    build(nlh, obj);
    commit(nlh);
    ++count_;
  }
  // Ends the batch; the last command asks for the ack.
  std::uint32_t finish() {
    if (last_hdr_ >= 0)
      reinterpret_cast<nlmsghdr*>(buf_.data() + last_hdr_)->nlmsg_flags |= NLM_F_ACK;
    commit(nftnl_batch_end(room(), s_.seq()));
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
  Socket& s_;
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
Result<std::optional<std::vector<DumpedRule>>> dump_chain(Socket& s, const std::string& family,
                                                          const std::string& table,
                                                          const std::string& chain) {
  std::vector<char> req(8192);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req.data(), NFT_MSG_GETRULE, family_number(family),
                                        NLM_F_DUMP, s.seq());
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
    Socket& s, const TablePlan& t) {
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
  Socket s;
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  char req[256];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, s.seq());
  std::optional<std::uint32_t> id;
  auto r = s.exchange(nlh, [&](const nlmsghdr* m) {
    Owned<nftnl_gen, nftnl_gen_free> g(nftnl_gen_alloc());
    if (nftnl_gen_nlmsg_parse(m, g.get()) >= 0) id = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
  });
  if (!r) return std::unexpected(r.error());
  if (!id) return fail("nf_tables: no generation in the answer", EPROTO);
  return *id;
}

Result<Applied> apply_nft(const Plan& p, std::uint32_t genid) {
  Socket s;
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
  Socket s;
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  Batch b(s, 0);
  for (const auto& [family, table] : tables) del_table(b, family, table);
  return s.send_batch(b.bytes(), b.finish());
}

}  // namespace iptmode::repair
