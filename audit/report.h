// The audit's outputs, each returned as the text to print or write, final
// newline included: a report for people (report_text.cpp), JSON for tools
// (report_json.cpp), node_exporter textfile metrics (report_prom.cpp), and
// node-problem-detector's one line (report_npd.cpp).
#pragma once

#include <cstddef>
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

// What the metrics say about the run itself, whether or not it could run.
struct RunMetrics {
  bool ok = false;           // the audit ran (exit 0 or 1)
  double seconds = 0;        // how long it took
  double finished_at = 0;    // when it ended, seconds since the Unix epoch
  std::string_view version;  // iptmode's own version
};

// Prometheus text exposition format, node_exporter textfile conventions
// (docs/audit.md). Always: build info, the last run's success, timestamp and
// duration, so an alert can fire on a failed or stale audit. `run.ok` false:
// nothing else (`a` is not looked at).
std::string audit_metrics(const AuditEvidence* a, const std::vector<Finding>& f,
                          const RunMetrics& run);

// node-problem-detector cuts a plugin's output at its max_output_length
// (80 bytes by default; deploy/'s configs set 200): the --npd line is at most
// this long, without its newline. Lists of numbers (pids) keep their first
// three and say how many more; a line still too long is cut at a character
// boundary and says how many bytes were left out.
inline constexpr std::size_t kNpdLineMax = 200;

// One line for node-problem-detector's custom plugin: the first finding that
// reaches `fail_on`, else that the backend is consistent.
std::string npd_line(const AuditEvidence& a, const std::vector<Finding>& f, Severity fail_on);
// Its line when the audit could not run (exit 2, "Unknown" to NPD).
std::string npd_could_not_run(std::string_view message);

}  // namespace iptmode
