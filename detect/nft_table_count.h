// nf_tables rules counted one table at a time, for a state read without its
// chain list (read_nft_for_decision): the part of count_nft_rules that needs
// no chain dump.
#pragma once

#include <cstdint>

#include "core/error.h"
#include "detect/kernel.h"

namespace iptmode {

// Each iptables table of `state` by one rule dump of the whole table, until
// the total is above `stop_above` or every table is counted: true then, with
// the counts set (the chains met added, each looked up by name for its
// properties). False, `state` untouched, when that would take more than a
// table-wide dump should (a few thousand rules or a few dozen chains without
// an answer): the caller lists the chains and counts per chain.
Result<bool> count_nft_rules_by_table(BackendState& state, std::uint64_t stop_above);

}  // namespace iptmode
