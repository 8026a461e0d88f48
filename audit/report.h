// The audit's outputs: a report for people, JSON for tools, node_exporter
// textfile metrics, and node-problem-detector's one line.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_evidence.h"
#include "audit/findings.h"

namespace iptmode {

inline constexpr const char* kAuditSchema = "iptmode.audit/v1";

struct ReportStyle {
  bool color = false;
};

std::string audit_text(const AuditEvidence& a, const std::vector<Finding>& f,
                       const ReportStyle& style);

nlohmann::ordered_json audit_json(const AuditEvidence& a, const std::vector<Finding>& f);

// Prometheus text exposition format. `ok` false: only the success and
// duration metrics (the audit could not run).
std::string audit_metrics(const AuditEvidence* a, const std::vector<Finding>& f, bool ok,
                          double seconds);

// One line for node-problem-detector's custom plugin.
std::string npd_line(const AuditEvidence& a, const std::vector<Finding>& f, Severity fail_on);

}  // namespace iptmode
