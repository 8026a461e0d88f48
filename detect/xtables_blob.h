// An x_tables table read as the kernel hands it out, without libiptc: one
// IPT_SO_GET_INFO (sizes, hook offsets), one IPT_SO_GET_ENTRIES copy of the
// whole table (the kernel gives no partial reads) into a buffer mapped for it
// and unmapped as soon as it is walked, then a walk of the entries by
// next_offset. libiptc's iptc_init builds a linked cache of every rule on top
// of the same copy (about twice the memory, and the time to build it); the
// walk keeps only the chains and their counts. Only for tables the kernel
// lists in /proc/net/ip*_tables_names: a query for any other name makes the
// kernel load the table's module and create it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "detect/kernel.h"

namespace iptmode {

// What IPT_SO_GET_INFO says of a table (the same for ip6).
struct XtablesInfo {
  std::uint32_t valid_hooks = 0;     // bit h: hook h has a builtin chain
  std::uint32_t hook_entry[5] = {};  // offset of hook h's first entry
  std::uint32_t underflow[5] = {};   // offset of hook h's policy entry
  std::uint32_t num_entries = 0;
  std::uint32_t size = 0;  // bytes of the entries
};

// The chains of a table's entries (`blob`, as IPT_SO_GET_ENTRIES returns it
// for `info`), in libiptc's order (builtin chains as they stand, then user
// chains by name) with exact rule counts: a builtin chain's entries up to its
// policy, a user chain's between its ERROR head and its RETURN tail. A blob
// whose entries do not add up (an offset out of bounds, a count that does not
// match num_entries) is an error naming what is wrong.
Result<std::vector<Chain>> walk_xtables(bool v6, const XtablesInfo& info,
                                        std::span<const std::byte> blob);

// The listed table `name` of IPv4 (v6 false) or IPv6, read and walked.
// `blob_bytes`, when given, receives the size of the copy the kernel made.
Result<Table> read_xtables_table(bool v6, const std::string& name,
                                 std::size_t* blob_bytes = nullptr);

}  // namespace iptmode
