// libiptc's two flavours, libiptc (IPv4) and libip6tc (IPv6), behind one
// face: the same calls under another prefix, so code over x_tables tables is
// written once as a template over IptcV4 / IptcV6.
#pragma once

// libip6tc.h declares ip6tc_strerror outside its extern "C" block.
extern "C" {
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
}

namespace iptmode {

struct IptcV4 {
  using Entry = ipt_entry;
  static constexpr auto init = iptc_init;
  static constexpr auto free = iptc_free;
  static constexpr auto first_chain = iptc_first_chain;
  static constexpr auto next_chain = iptc_next_chain;
  static constexpr auto builtin = iptc_builtin;
  static constexpr auto is_chain = iptc_is_chain;
  static constexpr auto first = iptc_first_rule;
  static constexpr auto next = iptc_next_rule;
  static constexpr auto target = iptc_get_target;
  static constexpr auto delete_num = iptc_delete_num_entry;
  static constexpr auto flush = iptc_flush_entries;
  static constexpr auto delete_chain = iptc_delete_chain;
  static constexpr auto commit = iptc_commit;
  static constexpr auto strerror = iptc_strerror;
};

struct IptcV6 {
  using Entry = ip6t_entry;
  static constexpr auto init = ip6tc_init;
  static constexpr auto free = ip6tc_free;
  static constexpr auto first_chain = ip6tc_first_chain;
  static constexpr auto next_chain = ip6tc_next_chain;
  static constexpr auto builtin = ip6tc_builtin;
  static constexpr auto is_chain = ip6tc_is_chain;
  static constexpr auto first = ip6tc_first_rule;
  static constexpr auto next = ip6tc_next_rule;
  static constexpr auto target = ip6tc_get_target;
  static constexpr auto delete_num = ip6tc_delete_num_entry;
  static constexpr auto flush = ip6tc_flush_entries;
  static constexpr auto delete_chain = ip6tc_delete_chain;
  static constexpr auto commit = ip6tc_commit;
  static constexpr auto strerror = ip6tc_strerror;
};

}  // namespace iptmode
