#include "monitor/metrics.h"

#include <fmt/format.h>

#include "audit/prom_label.h"

namespace iptmode::monitor {
void WrongBackendMetrics::count(const Event& e) {
  std::string c = e.writer.component.empty() ? "none" : e.writer.component;
  if (!by_component_.contains(c) && by_component_.size() >= kMaxMetricComponents) c = "other";
  ++by_component_[c];
  last_us_ = e.time_us;
}

std::string WrongBackendMetrics::text() const {
  std::string s =
      "# HELP iptmode_wrong_backend_writes_total Writes to the backend the node did not decide "
      "on, by component (none: no known component)\n"
      "# TYPE iptmode_wrong_backend_writes_total counter\n";
  for (const auto& [c, n] : by_component_)
    s += fmt::format("iptmode_wrong_backend_writes_total{{component=\"{}\"}} {}\n", prom_label(c),
                     n);
  s += "# HELP iptmode_monitor_last_wrong_backend_timestamp_seconds When the last wrong-backend "
       "write was seen (0: none yet)\n"
       "# TYPE iptmode_monitor_last_wrong_backend_timestamp_seconds gauge\n";
  s += fmt::format("iptmode_monitor_last_wrong_backend_timestamp_seconds {:.6f}\n",
                   static_cast<double>(last_us_) / 1e6);
  s += "# HELP iptmode_monitor_up Whether iptmode monitor is following the packet filter\n"
       "# TYPE iptmode_monitor_up gauge\n"
       "iptmode_monitor_up 1\n";
  return s;
}

}  // namespace iptmode::monitor
