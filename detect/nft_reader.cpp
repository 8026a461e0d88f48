#include "detect/nft_reader.h"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
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
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace iptmode {
namespace {

// A dump the kernel had to restart (a ruleset change mid-dump) is asked for
// again; past this many tries, the ruleset is changing too fast to read.
constexpr int kDumpTries = 16;

std::string family_name(std::uint32_t f) {
  switch (f) {
    case NFPROTO_IPV4:
      return "ip";
    case NFPROTO_IPV6:
      return "ip6";
    case NFPROTO_INET:
      return "inet";
    case NFPROTO_ARP:
      return "arp";
    case NFPROTO_BRIDGE:
      return "bridge";
    case NFPROTO_NETDEV:
      return "netdev";
    default:
      return fmt::format("family-{}", f);
  }
}

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

std::unexpected<Error> nl_error(std::string_view what, int e) {
  std::string fix;
  if (e == EPERM || e == EACCES) fix = " (reading nf_tables needs CAP_NET_ADMIN: run as root)";
  return fail(fmt::format("nf_tables {}: {}{}", what, std::strerror(e), fix), e);
}

using MsgFn = std::function<void(const nlmsghdr*)>;

// One netlink socket for a sequence of requests. An interrupted dump leaves
// answers queued on the socket, so the session is opened afresh after one.
class Session {
 public:
  Result<void> open() {
    nl_.reset(mnl_socket_open(NETLINK_NETFILTER));
    if (!nl_) return nl_error("socket", errno);
    if (mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) return nl_error("bind", errno);
    portid_ = mnl_socket_get_portid(nl_.get());
    return {};
  }
  std::uint32_t next_seq() { return ++seq_; }

  // Sends `req` (built with seq = next_seq()) and hands each answer to
  // `on_msg` until the dump's end or the ack. An interrupted dump
  // (NLM_F_DUMP_INTR, reported by libmnl as EINTR) is an error with errnum
  // EINTR, for the caller to start again.
  Result<void> exchange(const nlmsghdr* req, const MsgFn& on_msg) {
    static const bool kNever = false;
    auto r = exchange_until(req, on_msg, kNever);
    if (!r) return std::unexpected(r.error());
    return {};
  }

  // The same, but gives up after the first batch of answers that leaves
  // `stop` true: false then (the rest of the dump is left unread, so the
  // session is spent), true when the dump ended.
  Result<bool> exchange_until(const nlmsghdr* req, const MsgFn& on_msg, const bool& stop) {
    if (mnl_socket_sendto(nl_.get(), req, req->nlmsg_len) < 0) return nl_error("send", errno);
    auto cb = [](const nlmsghdr* m, void* data) -> int {
      (*static_cast<const MsgFn*>(data))(m);
      return MNL_CB_OK;
    };
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl_.get(), buf_.data(), buf_.size());
      if (n < 0) return nl_error("receive", errno);
      int r = mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), req->nlmsg_seq, portid_, cb,
                         const_cast<MsgFn*>(&on_msg));
      if (r == MNL_CB_STOP) return true;
      if (r < 0) return nl_error("dump", errno);
      if (stop) return false;
    }
  }

 private:
  Socket nl_;
  unsigned portid_ = 0;
  std::uint32_t seq_ = static_cast<std::uint32_t>(std::time(nullptr));
  std::vector<char> buf_ = std::vector<char>(64 * 1024);
};

std::unexpected<Error> too_busy() {
  return fail(fmt::format("nf_tables dump: interrupted {} times in a row (the ruleset is changing "
                          "constantly); try again",
                          kDumpTries),
              EINTR);
}

// One NLM_F_DUMP request of `type` over all families. `reset` runs before
// every try so an interrupted dump leaves no partial data.
Result<void> dump(std::uint16_t type, const std::function<void()>& reset, const MsgFn& on_msg) {
  for (int attempt = 0; attempt < kDumpTries; ++attempt) {
    reset();
    Session s;
    if (auto r = s.open(); !r) return r;
    alignas(nlmsghdr) char req[256];  // a dump request is a bare header
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, type, NFPROTO_UNSPEC, NLM_F_DUMP, s.next_seq());
    auto r = s.exchange(nlh, on_msg);
    if (r || r.error().errnum != EINTR) return r;
  }
  return too_busy();
}

// The ruleset's generation: it changes with every committed transaction.
Result<std::uint32_t> generation(Session& s) {
  alignas(nlmsghdr) char req[256];
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(req, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, s.next_seq());
  std::optional<std::uint32_t> id;
  auto r = s.exchange(nlh, [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_gen, decltype(&nftnl_gen_free)> g(nftnl_gen_alloc(), nftnl_gen_free);
    if (g && nftnl_gen_nlmsg_parse(m, g.get()) >= 0) id = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
  });
  if (!r) return std::unexpected(r.error());
  if (!id) return fail("nf_tables: no generation in the answer", EPROTO);
  return *id;
}

std::uint16_t family_number(std::string_view f) {
  if (f == "ip") return NFPROTO_IPV4;
  if (f == "ip6") return NFPROTO_IPV6;
  if (f == "inet") return NFPROTO_INET;
  if (f == "arp") return NFPROTO_ARP;
  if (f == "bridge") return NFPROTO_BRIDGE;
  if (f == "netdev") return NFPROTO_NETDEV;
  return NFPROTO_UNSPEC;
}

std::string key(std::string_view family, std::string_view table, std::string_view chain = {}) {
  std::string k;
  k.reserve(family.size() + table.size() + chain.size() + 2);
  k.append(family).push_back('\0');
  k.append(table).push_back('\0');
  k.append(chain);
  return k;
}

}  // namespace

Result<BackendState> read_nft(bool count_rules) {
  BackendState state;
  // Tables first, so tables without chains are seen too.
  std::map<std::string, std::size_t> table_index;
  auto reset_tables = [&] {
    state.tables.clear();
    table_index.clear();
  };
  auto on_table = [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_table, decltype(&nftnl_table_free)> t(nftnl_table_alloc(),
                                                                nftnl_table_free);
    if (!t || nftnl_table_nlmsg_parse(m, t.get()) < 0) return;
    Table tab;
    tab.family = family_name(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY));
    tab.name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
    table_index[key(tab.family, tab.name)] = state.tables.size();
    state.tables.push_back(std::move(tab));
  };
  if (auto r = dump(NFT_MSG_GETTABLE, reset_tables, on_table); !r)
    return std::unexpected(r.error());

  auto reset_chains = [&] {
    for (auto& t : state.tables) t.chains.clear();
  };
  auto on_chain = [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_chain, decltype(&nftnl_chain_free)> c(nftnl_chain_alloc(),
                                                                nftnl_chain_free);
    if (!c || nftnl_chain_nlmsg_parse(m, c.get()) < 0) return;
    std::string family = family_name(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY));
    std::string table = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE);
    auto it = table_index.find(key(family, table));
    if (it == table_index.end()) {
      // A table created between the two dumps.
      table_index[key(family, table)] = state.tables.size();
      state.tables.push_back(Table{family, table, {}});
      it = table_index.find(key(family, table));
    }
    Chain chain;
    chain.name = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME);
    chain.base = nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM);
    state.tables[it->second].chains.push_back(std::move(chain));
  };
  if (auto r = dump(NFT_MSG_GETCHAIN, reset_chains, on_chain); !r)
    return std::unexpected(r.error());

  if (count_rules) {
    if (auto r = count_nft_rules(state); !r) return std::unexpected(r.error());
  }
  return state;
}

namespace {

struct ChainCount {
  std::uint64_t rules = 0;
  bool complete = true;
};

// One chain's rules, by a rule dump of that chain alone (as iptables-nft-save
// does: the kernel finds a named chain directly, while one dump of
// everything walks the rule list from the start for every 32 KiB it hands
// out, quadratic: seconds at 100,000 rules). Past `budget` rules the dump is
// abandoned (complete false) and the session is spent.
Result<ChainCount> count_chain(Session& s, const Table& t, const Chain& c, std::uint64_t budget) {
  std::unique_ptr<nftnl_rule, decltype(&nftnl_rule_free)> filter(nftnl_rule_alloc(),
                                                                 nftnl_rule_free);
  if (!filter) return fail("nf_tables: out of memory", ENOMEM);
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, t.name.c_str());
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_CHAIN, c.name.c_str());
  alignas(nlmsghdr) char req[1024];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, family_number(t.family), NLM_F_DUMP,
                                        s.next_seq());
  nftnl_rule_nlmsg_build_payload(nlh, filter.get());
  ChainCount out;
  bool stop = false;
  auto ended = s.exchange_until(
      nlh, [&](const nlmsghdr*) { stop = ++out.rules > budget; }, stop);
  // A chain deleted since the chain dump has no rules to count.
  if (!ended && ended.error().errnum == ENOENT) return ChainCount{};
  if (!ended) return std::unexpected(ended.error());
  out.complete = *ended;
  return out;
}

// One counting pass; true when the ruleset's generation did not move during
// it, so the per-chain answers add up to one consistent ruleset.
Result<bool> count_pass(BackendState& state, std::optional<std::uint64_t> stop_above) {
  Session s;
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  auto before = generation(s);
  if (!before) return std::unexpected(before.error());
  const std::uint64_t limit = stop_above.value_or(UINT64_MAX);
  std::uint64_t total = 0;  // of the iptables tables' chains
  bool stopped = false, exact = true;
  for (auto& t : state.tables) {
    const bool counts = is_iptables_table(t);
    for (auto& c : t.chains) {
      c.rules.reset();
      c.rules_exact = true;
      if (stop_above && !counts) continue;
      if (stopped) {
        exact = exact && !counts;  // a chain left uncounted
        continue;
      }
      auto n = count_chain(s, t, c, limit - total);
      if (!n) return std::unexpected(n.error());
      c.rules = n->rules;
      c.rules_exact = n->complete;
      if (counts) total += n->rules;
      // An abandoned dump spends the session: nothing more is asked on it.
      if (!n->complete) exact = false;
      stopped = !n->complete || total > limit;
    }
  }
  // An abandoned dump leaves answers queued: the check gets a fresh socket.
  Session check;
  if (auto r = check.open(); !r) return std::unexpected(r.error());
  auto after = generation(check);
  if (!after) return std::unexpected(after.error());
  state.rules_exact = exact;
  return *after == *before;
}

}  // namespace

Result<void> count_nft_rules(BackendState& state, std::optional<std::uint64_t> stop_above) {
  for (int attempt = 0; attempt < kDumpTries; ++attempt) {
    auto consistent = count_pass(state, stop_above);
    if (!consistent && consistent.error().errnum == EINTR) continue;
    if (!consistent) return std::unexpected(consistent.error());
    if (*consistent) {
      state.rules_counted = true;
      return {};
    }
  }
  return too_busy();
}

}  // namespace iptmode
