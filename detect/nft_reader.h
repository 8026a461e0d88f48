// nf_tables, read over netlink (libmnl + libnftnl): never by running nft or
// iptables-nft-save, and never writing.
#pragma once

#include "core/error.h"
#include "detect/kernel.h"

namespace iptmode {

// Every table and chain of every family, in the caller's network namespace.
// With `count_rules`, also a rule dump that fills Chain::rules. A dump that
// the kernel marks interrupted (NLM_F_DUMP_INTR) is started again.
Result<BackendState> read_nft(bool count_rules);

// Fills Chain::rules of a state read without them.
Result<void> count_nft_rules(BackendState& state);

}  // namespace iptmode
