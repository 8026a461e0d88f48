// The audit's outputs, each returned as the text to print or write, final
// newline included: a report for people (report_text.cpp), JSON for tools
// (report_json.cpp), node_exporter textfile metrics (report_prom.cpp), and
// node-problem-detector's one line (report_npd.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_evidence.h"
#include "audit/findings.h"

namespace iptmode {

inline constexpr const char* kAuditSchema = "iptmode.audit/v1";

struct ReportStyle {
  bool color = false;
};

std::string audit_text(const AuditEvidence& a, const std::vector<Finding>& f,
                       const ReportStyle& style);

// One object, schema kAuditSchema (docs/audit.md).
std::string audit_json(const AuditEvidence& a, const std::vector<Finding>& f);

// Prometheus text exposition format. `ok` false: only the success and
// duration metrics (the audit could not run).
std::string audit_metrics(const AuditEvidence* a, const std::vector<Finding>& f, bool ok,
                          double seconds);

// One line for node-problem-detector's custom plugin: the first finding that
// reaches `fail_on`, else that the backend is consistent.
std::string npd_line(const AuditEvidence& a, const std::vector<Finding>& f, Severity fail_on);
// Its line when the audit could not run (exit 2, "Unknown" to NPD).
std::string npd_could_not_run(std::string_view message);

}  // namespace iptmode
