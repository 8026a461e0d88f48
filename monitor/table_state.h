// What the monitor remembers of a backend between events: per table, each
// chain's rule count, never the rules, under a cap. A re-read is compared
// with it to name what changed (the x_tables side has no notifications).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "detect/kernel.h"
#include "monitor/event.h"

namespace iptmode::monitor {

// Chains remembered per table, and tables in all: past either the rest is
// not remembered (TableState::truncated) and changes there go unseen.
inline constexpr std::size_t kMaxChainsPerTable = 65536;
inline constexpr std::size_t kMaxTables = 1024;

struct TableKey {
  std::string family;
  std::string name;
  auto operator<=>(const TableKey&) const = default;
};

struct TableState {
  std::map<TableKey, std::map<std::string, std::uint64_t>> tables;  // chain -> rules
  bool truncated = false;
};

// The counts of a backend read with rule counts (chains without a count hold 0).
TableState from_backend(const BackendState& b);

// One chain's (or table's) difference, as an Event's operation.
struct Change {
  std::string family;
  std::string table;
  std::string chain;  // empty: the table itself
  Operation op = Operation::change_rules;
  std::uint64_t added = 0;
  std::uint64_t deleted = 0;
};

// What turns `before` into `after`: tables and chains added or deleted, and
// chains whose rule count moved. Ordered by table, then chain.
std::vector<Change> diff(const TableState& before, const TableState& after);

// Applies one notification's change (add or delete of a table, chain or
// rule) to the remembered state, within the caps.
void apply(TableState& s, const Change& c);

// Total rules in the iptables tables of a state (for the resync line).
std::uint64_t rule_total(const TableState& s);

}  // namespace iptmode::monitor
