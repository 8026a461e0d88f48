// The plan applied to nf_tables: every deletion in one netlink batch, which
// the kernel commits whole or not at all, and which carries the ruleset
// generation the plan was made from (NFNL_BATCH_GENID): if any writer
// committed in between, the kernel refuses the batch (ERESTART) and nothing
// changes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "repair/plan.h"

namespace iptmode::repair {

// The current ruleset generation (NFT_MSG_GETGEN).
Result<std::uint32_t> nft_generation();

enum class Applied { yes, changed };  // changed: the ruleset moved on; nothing was done

// Finds the handles of the planned jump rules (a rule dump of each chain,
// matched position by position to the save the plan was made from), then
// sends the batch bound to `genid`.
Result<Applied> apply_nft(const Plan& p, std::uint32_t genid);

// Deletes whole iptables tables ({family, table}) in one batch (for
// --restore: a table the backup does not have).
Result<void> delete_nft_tables(const std::vector<std::pair<std::string, std::string>>& tables);

}  // namespace iptmode::repair
