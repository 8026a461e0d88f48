// x_tables, read through libiptc: only the tables the kernel lists in
// /proc/net/ip_tables_names and /proc/net/ip6_tables_names, because
// iptc_init() on a table that does not exist yet creates it.
#pragma once

#include <string>

#include "detect/error.h"
#include "detect/kernel.h"

namespace iptmode {

// Chains and rule counts of every listed table, IPv4 ("ip") and IPv6 ("ip6").
// `proc_net` is where the table lists are read (default /proc/net).
Result<BackendState> read_legacy(const std::string& proc_net = "/proc/net");

}  // namespace iptmode
