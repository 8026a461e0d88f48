#include "audit/report.h"
#include "audit/report_clean.h"

#include <fmt/format.h>

namespace iptmode {

std::string npd_line(const AuditEvidence& a, const std::vector<Finding>& f, Severity fail_on) {
  for (const auto& x : f)
    if (x.severity <= fail_on) return fmt::format("{}: {}\n", x.code, clean(x.message));
  return fmt::format("iptables backend consistent: {} ({})\n", to_string(a.decision.mode),
                     to_string(a.decision.rule));
}

std::string npd_could_not_run(std::string_view message) {
  return fmt::format("audit could not run: {}\n", message);
}

}  // namespace iptmode
