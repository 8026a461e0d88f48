// The verdict on one write, pure:
//   wrong-backend  an addition (table, chain or rules) to an iptables table
//                  (ip/ip6 filter, nat, mangle, raw, security) in the backend
//                  the node did not decide on: a Kubernetes component, or any
//                  other writer of iptables rules there, splits the node.
//                  Deletions there are clean-ups, ok.
//                  Takes precedence over foreign-rule.
//   foreign-rule   rules added to an ip/ip6 iptables-nft table that iptables-nft
//                  cannot read back (Event::foreign, audit/foreign_rules.h)
//   ok             everything else: the decided backend, native nftables tables
#pragma once

#include <string_view>

#include "core/mode.h"
#include "monitor/event.h"

namespace iptmode::monitor {

// The iptables-nft tables: ip/ip6 as iptables writes them, arp filter
// (arptables-nft) and bridge filter/nat/broute (ebtables-nft). Anything else
// in nf_tables is a native table.
bool is_xtables_nft_table(std::string_view family, std::string_view table);

// Only ip/ip6 tables: the ones both backends hold, where a split matters.
Verdict verdict(Mode decided, const Event& e);

}  // namespace iptmode::monitor
