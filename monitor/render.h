// One line per event, newline included: text for people, or a JSON object
// (schema iptmode.monitor/v1, docs/monitor.md) for tools.
#pragma once

#include <string>

#include "monitor/event.h"

namespace iptmode::monitor {

std::string event_text(const Event& e);
std::string event_json(const Event& e);

// "2026-12-01T10:49:00.123456Z"
std::string format_time(std::int64_t time_us);

}  // namespace iptmode::monitor
