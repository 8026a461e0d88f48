// JSON forms of the evidence and the decision (`iptmode detect --json`), and
// the pieces the audit's JSON reuses: one writer for a backend's tables, and
// the text of a JSON document as iptmode prints it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/decide.h"
#include "detect/evidence.h"

namespace iptmode {

inline constexpr const char* kDetectSchema = "iptmode.detect/v1";

// to_string(*v) as a JSON string, or null when `v` is unset.
template <class T>
nlohmann::ordered_json optional_string(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(std::string(to_string(*v))) : nlohmann::ordered_json();
}

// What a caller adds to the tables writer's objects. `detect --json` adds
// nothing and writes each chain's "base"; the audit says whether a table is
// one of iptables' and who owns each chain.
struct TableKeys {
  bool chain_base = true;  // "base" after the chain's name
  // Keys after "name", before "chains".
  std::function<void(const Table&, nlohmann::ordered_json&)> table;
  // Keys after "rules_exact".
  std::function<void(const Table&, const Chain&, nlohmann::ordered_json&)> chain;
};

// [{"family", "name", ..., "chains": [{"name", ["base",] "rules", "rules_exact", ...}]}]
nlohmann::ordered_json tables_json(const std::vector<Table>& tables, const TableKeys& keys = {});

nlohmann::ordered_json to_json(const BackendState& b);
nlohmann::ordered_json to_json(const BinaryEvidence& b);
nlohmann::ordered_json to_json(const Evidence& ev);
nlohmann::ordered_json to_json(const Decision& d);

// A document as iptmode prints it: indented by 2, bytes that are not UTF-8
// replaced (a container's file names are anyone's bytes), a final newline.
std::string json_text(const nlohmann::ordered_json& j);

// `detect --json`'s output: { "schema", "mode", "rule", "reasons",
// "warnings", "evidence" } as text.
std::string detect_json(const Evidence& ev, const Decision& d);

}  // namespace iptmode
