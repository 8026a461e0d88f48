// read_nft_for_decision and count_nft_rules_by_table: nf_tables read without
// a chain dump (detect/nft_reader.h, detect/nft_table_count.h say why).
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detect/nft_reader.h"
#include "detect/nft_session.h"
#include "detect/nft_table_count.h"

namespace iptmode {
namespace {

using nft::family_number;
using nft::generation;
using nft::Session;
using NlChain = std::unique_ptr<nftnl_chain, decltype(&nftnl_chain_free)>;
using NlRule = std::unique_ptr<nftnl_rule, decltype(&nftnl_rule_free)>;

// A table-wide rule dump walks the table from its first rule for each batch
// (about 100 rules): a few thousand rules cost a few milliseconds, a million
// would cost minutes. Past these the chains are listed and counted one by one.
constexpr std::uint64_t kTableDumpRules = 4096;
constexpr std::size_t kTableDumpChains = 32;

// Chain `name` of table `t`, asked for by name (NFT_MSG_GETCHAIN without a
// dump, acked): unset when there is none.
Result<std::optional<Chain>> lookup_chain(Session& s, const Table& t, const std::string& name) {
  NlChain c(nftnl_chain_alloc(), nftnl_chain_free);
  if (!c) return fail("nf_tables: out of memory", ENOMEM);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, t.name.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, name.c_str());
  alignas(nlmsghdr) char req[1024];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETCHAIN, family_number(t.family), NLM_F_ACK,
                                        s.next_seq());
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  std::optional<Chain> out;
  auto r = s.exchange(nlh, [&](const nlmsghdr* m) {
    NlChain got(nftnl_chain_alloc(), nftnl_chain_free);
    if (!got || nftnl_chain_nlmsg_parse(m, got.get()) < 0) return;
    out = Chain{name, nftnl_chain_is_set(got.get(), NFTNL_CHAIN_HOOKNUM), std::nullopt, true};
  });
  // The table or the chain is not there (or went since the table dump).
  if (!r && r.error().errnum == ENOENT) return std::optional<Chain>{};
  if (!r) return std::unexpected(r.error());
  return out;
}

// The chain a rule message belongs to (NFTA_RULE_CHAIN), read in place.
std::string_view rule_chain(const nlmsghdr* m) {
  std::string_view out;
  auto cb = [](const nlattr* a, void* data) -> int {
    if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
      *static_cast<std::string_view*>(data) = mnl_attr_get_str(a);
    return MNL_CB_OK;
  };
  mnl_attr_parse(m, sizeof(nfgenmsg), cb, &out);
  return out;
}

struct TableCount {
  std::vector<std::pair<std::string, std::uint64_t>> chains;  // in dump order
  bool complete = true;  // false: stopped inside the last chain
};

// One table-wide rule dump of `t` on `s`: the chains met and their rules,
// stopping once `total` passes `limit` or the dump has gone too far.
Result<TableCount> count_table(Session& s, const Table& t, std::uint64_t& total,
                               std::uint64_t limit) {
  NlRule filter(nftnl_rule_alloc(), nftnl_rule_free);
  if (!filter) return fail("nf_tables: out of memory", ENOMEM);
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, t.name.c_str());
  alignas(nlmsghdr) char req[1024];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, family_number(t.family), NLM_F_DUMP,
                                        s.next_seq());
  nftnl_rule_nlmsg_build_payload(nlh, filter.get());
  TableCount out;
  std::uint64_t seen = 0;
  bool stop = false;
  auto ended = s.exchange_until(
      nlh,
      [&](const nlmsghdr* m) {
        const std::string_view chain = rule_chain(m);
        if (out.chains.empty() || out.chains.back().first != chain)
          out.chains.emplace_back(std::string(chain), 0);
        ++out.chains.back().second;
        ++seen;
        stop = ++total > limit || seen > kTableDumpRules || out.chains.size() > kTableDumpChains;
      },
      stop);
  if (!ended && ended.error().errnum == ENOENT) return TableCount{};  // the table went
  if (!ended) return std::unexpected(ended.error());
  out.complete = *ended;
  return out;
}

// Puts the counts of `c` into table `t`: the chains met are looked up for
// their properties (a chain gone since is left out).
Result<void> apply(Session& s, Table& t, const TableCount& c) {
  // A table counted to its end has none in the chains not met (a hint chain).
  if (c.complete)
    for (auto& have : t.chains) {
      have.rules = 0;
      have.rules_exact = true;
    }
  for (std::size_t i = 0; i < c.chains.size(); ++i) {
    const auto& [name, rules] = c.chains[i];
    Chain* chain = nullptr;
    for (auto& have : t.chains)
      if (have.name == name) chain = &have;
    if (!chain) {
      auto found = lookup_chain(s, t, name);
      if (!found) return std::unexpected(found.error());
      if (!*found) continue;
      t.chains.push_back(std::move(**found));
      chain = &t.chains.back();
    }
    chain->rules = rules;
    chain->rules_exact = c.complete || i + 1 < c.chains.size();
  }
  return {};
}

// One pass over the iptables tables; unset when the dumps went too far.
Result<std::optional<std::vector<std::pair<std::size_t, TableCount>>>> count_pass(
    const BackendState& state, std::uint64_t limit, bool& exact) {
  Session s;
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  std::vector<std::pair<std::size_t, TableCount>> out;
  std::uint64_t total = 0;
  exact = true;
  for (std::size_t i = 0; i < state.tables.size(); ++i) {
    if (!is_iptables_table(state.tables[i])) continue;
    if (total > limit) {
      exact = false;  // a table left uncounted
      continue;
    }
    auto c = count_table(s, state.tables[i], total, limit);
    if (!c) return std::unexpected(c.error());
    if (!c->complete && total <= limit) return std::nullopt;  // too far for a table-wide dump
    if (!c->complete) exact = false;
    out.emplace_back(i, std::move(*c));
    // An abandoned dump spends the session: the others are not asked.
    if (!out.back().second.complete) {
      for (std::size_t j = i + 1; j < state.tables.size(); ++j)
        if (is_iptables_table(state.tables[j])) exact = false;
      break;
    }
  }
  return out;
}

}  // namespace

Result<BackendState> read_nft_for_decision() {
  BackendState state;
  state.chains_listed = false;
  auto tables = read_nft_tables();
  if (!tables) return std::unexpected(tables.error());
  state.tables = std::move(*tables);
  Session s;
  if (auto r = s.open(); !r) return std::unexpected(r.error());
  for (auto& t : state.tables) {
    if (!is_iptables_table(t)) continue;
    for (const char* name : kHintChains) {
      auto c = lookup_chain(s, t, name);
      if (!c) return std::unexpected(c.error());
      if (*c) t.chains.push_back(std::move(**c));
    }
  }
  return state;
}

Result<bool> count_nft_rules_by_table(BackendState& state, std::uint64_t stop_above) {
  for (int attempt = 0; attempt < nft::kDumpTries; ++attempt) {
    Session gen;
    if (auto r = gen.open(); !r) return std::unexpected(r.error());
    auto before = generation(gen);
    if (!before) return std::unexpected(before.error());
    bool exact = true;
    auto counted = count_pass(state, stop_above, exact);
    if (!counted && counted.error().errnum == EINTR) continue;
    if (!counted) return std::unexpected(counted.error());
    if (!*counted) return false;
    auto after = generation(gen);
    if (!after) return std::unexpected(after.error());
    if (*after != *before) continue;
    BackendState next = state;
    for (auto& t : next.tables)
      for (auto& c : t.chains) c.rules.reset();
    for (const auto& [i, c] : **counted)
      if (auto r = apply(gen, next.tables[i], c); !r) return std::unexpected(r.error());
    next.rules_counted = true;
    next.rules_exact = exact;
    state = std::move(next);
    return true;
  }
  return nft::too_busy();
}

}  // namespace iptmode
