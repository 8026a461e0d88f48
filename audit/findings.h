// What is wrong on the node, each with a stable code, a severity, the
// evidence and the remedy. A pure function of the audit's evidence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_evidence.h"

namespace iptmode {

enum class Severity { error = 0, warning = 1, info = 2 };

std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

struct Finding {
  std::string code;  // stable: MODE_SPLIT, VERSION_SKEW, ... (docs/audit.md)
  Severity severity;
  std::string message;  // one line
  std::vector<std::string> evidence;
  std::string remedy;  // the command or setting that fixes it
};

// Sorted by severity (errors first), then code.
std::vector<Finding> find_problems(const AuditEvidence& a);

// True when some finding is at least as severe as `fail_on`.
bool reaches(const std::vector<Finding>& f, Severity fail_on);

}  // namespace iptmode
