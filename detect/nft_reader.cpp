#include "detect/nft_reader.h"

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "detect/nft_session.h"

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
Result<void> chain_rules(std::unique_ptr<Session>& s, const IptablesRuleVisitor& v, const Table& t,
                         const nftnl_chain* c) {
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
    auto r = s->exchange(nlh, [&](const nlmsghdr* m) { v.rule(t, c, m); });
    if (r) return {};
    if (r.error().errnum == ENOENT) return {};
    if (r.error().errnum != EINTR) return std::unexpected(r.error());
    if (v.restart) v.restart(t, c);
    s.reset();
  }
  return too_busy();
}

}  // namespace

Result<void> visit_iptables_rules(const IptablesRuleVisitor& v) {
  auto chains = iptables_chains();
  if (!chains) return std::unexpected(chains.error());
  std::unique_ptr<Session> s;
  for (const auto& [table, chain] : *chains) {
    if (v.chain) v.chain(table, chain.get());
    if (!v.rule) continue;
    if (auto r = chain_rules(s, v, table, chain.get()); !r) return std::unexpected(r.error());
  }
  return {};
}

}  // namespace iptmode
