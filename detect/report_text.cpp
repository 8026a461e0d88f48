#include "detect/report_text.h"

#include <fmt/format.h>

namespace iptmode {

std::string detect_text(const Decision& d) {
  std::string out = fmt::format("mode: {} (decided by {})\n", to_string(d.mode), to_string(d.rule));
  for (const auto& r : d.reasons)
    out += fmt::format("{} {:<15} {:<7} {}\n", r.decided ? '*' : ' ', to_string(r.rule),
                       r.says ? to_string(*r.says) : "-", r.text);
  for (const auto& w : d.warnings) out += fmt::format("warning: {}\n", w);
  return out;
}

}  // namespace iptmode
