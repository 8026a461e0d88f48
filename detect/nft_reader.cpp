#include "detect/nft_reader.h"

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "detect/nft_session.h"
#include "detect/nft_table_count.h"

namespace iptmode {
namespace {

using nft::dump;
using nft::family_name;
using nft::family_number;
using nft::generation;
using nft::Session;
using nft::too_busy;

std::string key(std::string_view family, std::string_view table, std::string_view chain = {}) {
  std::string k;
  k.reserve(family.size() + table.size() + chain.size() + 2);
  k.append(family).push_back('\0');
  k.append(table).push_back('\0');
  k.append(chain);
  return k;
}

}  // namespace

Result<std::vector<Table>> read_nft_tables() {
  std::vector<Table> tables;
  auto on_table = [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_table, decltype(&nftnl_table_free)> t(nftnl_table_alloc(),
                                                                nftnl_table_free);
    if (!t || nftnl_table_nlmsg_parse(m, t.get()) < 0) return;
    Table tab;
    tab.family = family_name(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY));
    tab.name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
    tables.push_back(std::move(tab));
  };
  if (auto r = dump(
          NFT_MSG_GETTABLE, [&] { tables.clear(); }, on_table);
      !r)
    return std::unexpected(r.error());
  return tables;
}

Result<BackendState> read_nft(bool count_rules) {
  BackendState state;
  // Tables first, so tables without chains are seen too.
  auto tables = read_nft_tables();
  if (!tables) return std::unexpected(tables.error());
  state.tables = std::move(*tables);
  std::map<std::string, std::size_t> table_index;
  for (std::size_t i = 0; i < state.tables.size(); ++i)
    table_index[key(state.tables[i].family, state.tables[i].name)] = i;

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
  if (!state.chains_listed) {
    if (stop_above) {
      auto done = count_nft_rules_by_table(state, *stop_above);
      if (!done) return std::unexpected(done.error());
      if (*done) return {};
    }
    // Too far for table-wide dumps, or every chain wanted: list them all.
    auto listed = read_nft(false);
    if (!listed) return std::unexpected(listed.error());
    state = std::move(*listed);
  }
  for (int attempt = 0; attempt < nft::kDumpTries; ++attempt) {
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

namespace iptmode {
namespace {

using NlChain = std::unique_ptr<nftnl_chain, decltype(&nftnl_chain_free)>;
using NlRule = std::unique_ptr<nftnl_rule, decltype(&nftnl_rule_free)>;

// The kernel fills each dump answer up to 32 KiB (netlink's cap); a larger
// buffer costs nothing and leaves room should that cap grow.
constexpr std::size_t kRuleReceiveBuffer = 1024 * 1024;

// The iptables tables' chains, by one chain dump.
Result<std::vector<std::pair<Table, NlChain>>> iptables_chains() {
  std::vector<std::pair<Table, NlChain>> out;
  auto on_chain = [&](const nlmsghdr* m) {
    NlChain c(nftnl_chain_alloc(), nftnl_chain_free);
    if (!c || nftnl_chain_nlmsg_parse(m, c.get()) < 0) return;
    Table t{family_name(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY)),
            nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE),
            {}};
    if (is_iptables_table(t)) out.emplace_back(std::move(t), std::move(c));
  };
  if (auto r = dump(
          NFT_MSG_GETCHAIN, [&] { out.clear(); }, on_chain);
      !r)
    return std::unexpected(r.error());
  return out;
}

// One chain's rule messages, handed to `v.rule` in place, straight from the
// receive buffer; none for a chain deleted since the chain dump. An
// interrupted dump is announced to `v.restart` (what the chain gave so far
// is void) and asked again on a fresh session. `s` is kept for the next chain.
Result<void> chain_rules(std::unique_ptr<Session>& s, const IptablesRuleVisitor& v, std::size_t i,
                         const Table& t, const nftnl_chain* c) {
  const char* name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
  for (int attempt = 0; attempt < nft::kDumpTries; ++attempt) {
    if (!s) {
      s = std::make_unique<Session>(kRuleReceiveBuffer);
      if (auto r = s->open(); !r) return std::unexpected(r.error());
    }
    NlRule filter(nftnl_rule_alloc(), nftnl_rule_free);
    if (!filter) return fail("nf_tables: out of memory", ENOMEM);
    nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, t.name.c_str());
    nftnl_rule_set_str(filter.get(), NFTNL_RULE_CHAIN, name);
    alignas(nlmsghdr) char req[1024];
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, family_number(t.family), NLM_F_DUMP,
                                          s->next_seq());
    nftnl_rule_nlmsg_build_payload(nlh, filter.get());
    auto r = s->exchange(nlh, [&](const nlmsghdr* m) { v.rule(i, t, c, m); });
    if (r) return {};
    if (r.error().errnum == ENOENT) return {};
    if (r.error().errnum != EINTR) return std::unexpected(r.error());
    if (v.restart) v.restart(i, t, c);
    s.reset();
  }
  return too_busy();
}

// The chains handed out to the readers, one at a time, in dump order: a
// chain of 10,000 rules and one of 2 are both one item, so no reader waits
// on another's share.
class ChainQueue {
 public:
  explicit ChainQueue(std::size_t n) : n_(n) {}
  // The next chain to read; none once all are taken or a reader failed.
  std::optional<std::size_t> take() {
    if (failed_.load(std::memory_order_relaxed)) return std::nullopt;
    const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n_) return std::nullopt;
    return i;
  }
  void fail(std::size_t i, Error e) {
    const std::lock_guard lock(mu_);
    if (!error_ || i < error_->first) error_ = {i, std::move(e)};
    failed_.store(true, std::memory_order_relaxed);
  }
  std::optional<Error> error() && {
    if (!error_) return std::nullopt;
    return std::move(error_->second);
  }

 private:
  const std::size_t n_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::optional<std::pair<std::size_t, Error>> error_;
};

using ChainList = std::vector<std::pair<Table, NlChain>>;

// One reader: chains from the queue until it is empty, on its own session.
void read_chains(const ChainList& chains, const IptablesRuleVisitor& v, ChainQueue& q) {
  std::unique_ptr<Session> s;
  while (auto i = q.take()) {
    const auto& [table, chain] = chains[*i];
    // An exception must not leave a reader's thread (that ends the process).
    try {
      if (v.chain) v.chain(*i, table, chain.get());
      if (!v.rule) continue;
      if (auto r = chain_rules(s, v, *i, table, chain.get()); !r) q.fail(*i, std::move(r.error()));
    } catch (const std::bad_alloc&) {
      q.fail(*i, Error{"nf_tables: out of memory reading the rules", ENOMEM});
    }
  }
}

}  // namespace

Result<void> visit_iptables_rules(const IptablesRuleVisitor& v, unsigned jobs) {
  auto chains = iptables_chains();
  if (!chains) return std::unexpected(chains.error());
  if (v.begin) v.begin(chains->size());
  ChainQueue q(chains->size());
  const std::size_t extra = std::min<std::size_t>(jobs > 1 ? jobs - 1 : 0, chains->size());
  std::vector<std::jthread> readers;
  readers.reserve(extra);
  for (std::size_t k = 0; k < extra; ++k) {
    // No thread to be had (a pids limit, no memory): fewer readers, same answer.
    try {
      readers.emplace_back([&] { read_chains(*chains, v, q); });
    } catch (const std::system_error&) {
      break;
    }
  }
  read_chains(*chains, v, q);
  readers.clear();  // joins
  if (auto e = std::move(q).error()) return std::unexpected(std::move(*e));
  return {};
}

}  // namespace iptmode
