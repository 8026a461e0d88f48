// nf_tables, read over netlink (libmnl + libnftnl): never by running nft or
// iptables-nft-save, and never writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/error.h"
#include "detect/kernel.h"

struct nftnl_chain;
struct nlmsghdr;

namespace iptmode {

// Every table of every family (one dump), without chains.
Result<std::vector<Table>> read_nft_tables();

// What the decision needs and no more, so the cost does not grow with the
// chains (a chain dump does: the kernel walks a table's chains from the first
// for every 32 KiB it hands out, a third of detect's time at 10,000 chains):
// every table, and in each iptables table kubelet's hint chains asked for by
// name (one request each). BackendState::chains_listed is false: a table
// lists only the chains found so, and those count_nft_rules then counts.
Result<BackendState> read_nft_for_decision();

// Every table and chain of every family, in the caller's network namespace.
// With `count_rules`, also a rule dump that fills Chain::rules. A dump that
// the kernel marks interrupted (NLM_F_DUMP_INTR) is started again.
Result<BackendState> read_nft(bool count_rules);

// Fills Chain::rules of a state read without them, one rule dump per chain.
// With `stop_above`, only the iptables tables' chains are counted (native
// nftables tables are left without counts), and counting stops as soon as
// their total is above it: the result is then "at least N"
// (BackendState::rules_exact false). Without it, every chain, exactly.
// On a state without its chains listed (read_nft_for_decision) and with
// `stop_above`, each iptables table is counted by one rule dump of the whole
// table, which adds the chains it meets; a table-wide dump restarts at the
// table's first rule for every batch, so past a few thousand rules (or a few
// dozen chains) without an answer the chains are listed after all and
// counted one by one, as for any state.
Result<void> count_nft_rules(BackendState& state,
                             std::optional<std::uint64_t> stop_above = std::nullopt);

// Every chain of the iptables tables (is_iptables_table) and each of its
// rules: one chain dump (chains parsed by libnftnl), then one rule dump per
// chain (as count_nft_rules reads them), each rule handed over as the
// kernel's NFT_MSG_NEWRULE message, in place in the receive buffer (no copy,
// no libnftnl object: a million rules parsed by libnftnl cost twice what the
// kernel takes to send them). A chain whose dump the kernel interrupts
// (NLM_F_DUMP_INTR) is announced to `restart`, then dumped again from its
// first rule: whatever `rule` was given for that chain since `chain` is void.
// Pointers live only for the call.
//
// `begin` is told the number of chains first; each chain is then known by
// its index `i` in the chain dump (0 to n-1). With `jobs` above 1 that many
// threads read chains at once, each on its own socket: the kernel serves
// dumps of different sockets side by side, so the wall time divides by the
// cores while the CPU spent stays the same (the kernel formatting the rules
// is most of it). A chain's calls all come from one thread, in order;
// different chains' calls may run at the same time, so a callback may touch
// only what belongs to its chain `i`. On an error the other threads stop
// after their current chain, and the error of the lowest chain is returned.
struct IptablesRuleVisitor {
  std::function<void(std::size_t chains)> begin;
  std::function<void(std::size_t i, const Table&, const nftnl_chain*)> chain;
  std::function<void(std::size_t i, const Table&, const nftnl_chain*, const nlmsghdr*)> rule;
  std::function<void(std::size_t i, const Table&, const nftnl_chain*)> restart;
};
Result<void> visit_iptables_rules(const IptablesRuleVisitor& v, unsigned jobs = 1);

}  // namespace iptmode
