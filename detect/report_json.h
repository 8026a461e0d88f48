// JSON forms of the evidence and the decision (`iptmode detect --json`).
#pragma once

#include <nlohmann/json.hpp>

#include "detect/decide.h"
#include "detect/evidence.h"

namespace iptmode {

nlohmann::ordered_json to_json(const BinaryEvidence& b);
nlohmann::ordered_json to_json(const Evidence& ev);
nlohmann::ordered_json to_json(const Decision& d);

// { "schema", "mode", "rule", "reasons", "warnings", "evidence" }
nlohmann::ordered_json detect_json(const Evidence& ev, const Decision& d);

inline constexpr const char* kDetectSchema = "iptmode.detect/v1";

}  // namespace iptmode
