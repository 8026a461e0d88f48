// x_tables, read straight from the kernel (detect/xtables_blob: one copy of
// each table, walked, not libiptc's cache of every rule): only the tables the
// kernel lists in /proc/net/ip_tables_names and /proc/net/ip6_tables_names,
// because a query for a table that does not exist yet creates it.
#pragma once

#include <string>

#include "core/error.h"
#include "detect/kernel.h"

namespace iptmode {

struct LegacyReadOptions {
  std::string proc_net = "/proc/net";  // where the table lists are read
  // The kernel hands out a table only whole (at 1,000,000 rules a copy of
  // some 400 MiB): that copy is most of the cost. When a hint chain alone decides, the
  // tables after it need not be read. Tables are read mangle first (where
  // kubelet puts KUBE-IPTABLES-HINT), then nat, filter and the rest; those
  // left unread are named in BackendState::unread.
  bool stop_at_hint = false;
};

// Chains and rule counts of the listed tables, IPv4 ("ip") and IPv6 ("ip6").
Result<BackendState> read_legacy(const LegacyReadOptions& opts = {});

}  // namespace iptmode
