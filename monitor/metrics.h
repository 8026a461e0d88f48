// The monitor's Prometheus textfile: wrong-backend writes per component and
// the time of the last one, rewritten whole (audit/textfile.h) at each.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "monitor/event.h"

namespace iptmode::monitor {

// Components counted separately; past this many, the rest count as "other".
inline constexpr std::size_t kMaxMetricComponents = 64;

class WrongBackendMetrics {
 public:
  void count(const Event& e);
  // The exposition text: iptmode_wrong_backend_writes_total{component=...},
  // iptmode_monitor_last_wrong_backend_timestamp_seconds,
  // iptmode_monitor_up.
  std::string text() const;

 private:
  std::map<std::string, std::uint64_t> by_component_;
  std::int64_t last_us_ = 0;
};

}  // namespace iptmode::monitor
