// The repair's outputs: the plan (and, after applying, what happened) as
// text for people and as one JSON object, schema iptmode.repair/v1
// (docs/repair.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/findings.h"
#include "repair/plan.h"

namespace iptmode::repair {

inline constexpr const char* kRepairSchema = "iptmode.repair/v1";

struct Outcome {
  bool dry_run = true;
  std::optional<std::string> backup;  // the backup's path prefix, once written
  bool applied = false;
  int replans = 0;   // plans made again because the ruleset changed under us
  std::string note;  // one line: why nothing was applied, or what failed
  std::optional<std::vector<Finding>> after;  // the re-audit's findings
};

std::string repair_text(const Plan& p, const Outcome& o);
nlohmann::ordered_json repair_json(const Plan& p, const Outcome& o);

}  // namespace iptmode::repair
