#include "detect/kernel.h"

#include <fmt/format.h>

namespace iptmode {

bool is_iptables_table(const Table& t) {
  if (t.family != "ip" && t.family != "ip6") return false;
  for (const char* n : {"filter", "nat", "mangle", "raw", "security"})
    if (t.name == n) return true;
  return false;
}

std::vector<ChainRef> find_hint_chains(const BackendState& b) {
  std::vector<ChainRef> out;
  for (const auto& t : b.tables) {
    if (t.family != "ip" && t.family != "ip6") continue;
    for (const auto& c : t.chains)
      for (const char* hint : kHintChains)
        if (c.name == hint) out.push_back({t.family, t.name, c.name});
  }
  return out;
}

std::uint64_t iptables_rule_count(const BackendState& b) {
  std::uint64_t n = 0;
  for (const auto& t : b.tables)
    if (is_iptables_table(t))
      for (const auto& c : t.chains) n += c.rules.value_or(0);
  return n;
}

RuleCount iptables_rules(const BackendState& b) {
  if (!b.available) return {0, true};
  return {iptables_rule_count(b), b.rules_exact};
}

std::string to_string(const RuleCount& c) {
  return c.exact ? fmt::format("{}", c.n) : fmt::format("at least {}", c.n);
}

std::optional<std::strong_ordering> compare_counts(const RuleCount& a, const RuleCount& b) {
  if (a.exact && b.exact) return a.n <=> b.n;
  if (!a.exact && b.exact && a.n > b.n) return std::strong_ordering::greater;
  if (a.exact && !b.exact && b.n > a.n) return std::strong_ordering::less;
  return std::nullopt;
}

std::string to_string(const ChainRef& c) {
  return fmt::format("{} {} {}", c.family, c.table, c.chain);
}

}  // namespace iptmode
