// A label value as the Prometheus exposition format quotes it (backslash,
// double quote and newline escaped): the one quoting of every textfile
// iptmode writes (the audit's and the monitor's).
#pragma once

#include <string>
#include <string_view>

namespace iptmode {

std::string prom_label(std::string_view v);

}  // namespace iptmode
