// `--exec-probe`: runs a component's own `iptables -V` inside its mount
// namespace and root, bounded by a deadline. Off by default: it runs code
// from the container, and a pending iptables-wrapper would choose its mode.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "audit/audit_evidence.h"

namespace iptmode {

ProbeResult exec_probe(pid_t pid, const std::string& iptables_path,
                       std::chrono::milliseconds deadline = std::chrono::seconds(2));

}  // namespace iptmode
