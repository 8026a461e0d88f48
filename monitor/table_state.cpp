#include "monitor/table_state.h"

#include <algorithm>

namespace iptmode::monitor {

TableState from_backend(const BackendState& b) {
  TableState s;
  for (const auto& t : b.tables) {
    if (s.tables.size() >= kMaxTables) {
      s.truncated = true;
      break;
    }
    auto& chains = s.tables[{t.family, t.name}];
    for (const auto& c : t.chains) {
      if (chains.size() >= kMaxChainsPerTable) {
        s.truncated = true;
        break;
      }
      chains[c.name] = c.rules.value_or(0);
    }
  }
  return s;
}

namespace {

void diff_chains(const TableKey& k, const std::map<std::string, std::uint64_t>& before,
                 const std::map<std::string, std::uint64_t>& after, std::vector<Change>& out) {
  for (const auto& [name, n] : after) {
    auto it = before.find(name);
    if (it == before.end()) {
      out.push_back({k.family, k.name, name, Operation::add_chain, n, 0});
    } else if (it->second != n) {
      const bool more = n > it->second;
      out.push_back({k.family, k.name, name, Operation::change_rules, more ? n - it->second : 0,
                     more ? 0 : it->second - n});
    }
  }
  for (const auto& [name, n] : before)
    if (!after.contains(name))
      out.push_back({k.family, k.name, name, Operation::delete_chain, 0, n});
}

}  // namespace

std::vector<Change> diff(const TableState& before, const TableState& after) {
  static const std::map<std::string, std::uint64_t> kNone;
  std::vector<Change> out;
  for (const auto& [k, chains] : after.tables) {
    auto it = before.tables.find(k);
    if (it == before.tables.end())
      out.push_back({k.family, k.name, "", Operation::add_table, 0, 0});
    diff_chains(k, it == before.tables.end() ? kNone : it->second, chains, out);
  }
  for (const auto& [k, chains] : before.tables)
    if (!after.tables.contains(k)) {
      diff_chains(k, chains, kNone, out);
      out.push_back({k.family, k.name, "", Operation::delete_table, 0, 0});
    }
  return out;
}

void apply(TableState& s, const Change& c) {
  const TableKey k{c.family, c.table};
  auto it = s.tables.find(k);
  if (it == s.tables.end()) {
    if (c.op == Operation::delete_table) return;
    if (s.tables.size() >= kMaxTables) {
      s.truncated = true;
      return;
    }
    it = s.tables.emplace(k, std::map<std::string, std::uint64_t>{}).first;
  }
  auto& chains = it->second;
  if (c.op == Operation::delete_table) {
    s.tables.erase(it);
    return;
  }
  if (c.chain.empty()) return;
  if (c.op == Operation::delete_chain) {
    chains.erase(c.chain);
    return;
  }
  auto ch = chains.find(c.chain);
  if (ch == chains.end()) {
    if (chains.size() >= kMaxChainsPerTable) {
      s.truncated = true;
      return;
    }
    ch = chains.emplace(c.chain, 0).first;
  }
  ch->second += c.added;
  ch->second -= std::min(ch->second, c.deleted);
}

std::uint64_t rule_total(const TableState& s) {
  std::uint64_t n = 0;
  for (const auto& [k, chains] : s.tables) {
    if (!is_iptables_table(Table{k.family, k.name, {}})) continue;
    for (const auto& [name, rules] : chains) n += rules;
  }
  return n;
}

}  // namespace iptmode::monitor
