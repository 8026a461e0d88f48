#include "cli/decision_state.h"

#include <algorithm>
#include <cstring>

namespace iptmode::cli {

shim::State state_for(const Evidence& ev, const Decision& d) {
  shim::State s;
  s.mode = d.mode;
  const std::string_view rule = to_string(d.rule);
  std::memcpy(s.rule, rule.data(), std::min(rule.size(), sizeof s.rule - 1));
  for (const auto& c : ev.components) {
    const auto& info = c.iptables.info;
    if (!info || info->mode != Mode::nft || !info->version) continue;
    if (!s.has_nft_writer || s.nft_writer < *info->version) s.nft_writer = *info->version;
    s.has_nft_writer = true;
  }
  return s;
}

std::string state_text(const shim::State& s) {
  char buf[shim::kStateMax];
  const std::size_t n = shim::format_state(s, buf, sizeof buf);
  return std::string(buf, n);
}

}  // namespace iptmode::cli
