// Running `iptmode detect --json` for a root test and reading its answer.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/validate_json.h"

namespace iptmode::test {

using nlohmann::json;

inline constexpr std::array<std::string_view, 5> kRuleOrder = {"override", "hint", "rule-count",
                                                               "host-binary", "kernel-default"};

// What every detect --json answer must look like, whatever it decided: the
// five steps in order, exactly one of them deciding, and that one saying the
// answer. The steps before it had no opinion (the first that has one wins).
inline void check_detect_shape(const json& j) {
  CHECK(j.at("schema") == "iptmode.detect/v1");
  const std::string mode = j.at("mode").get<std::string>();
  CHECK((mode == "nft" || mode == "legacy"));
  const json& reasons = j.at("reasons");
  REQUIRE(reasons.is_array());
  REQUIRE(reasons.size() == kRuleOrder.size());
  int decided = 0;
  bool before_decided = true;
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    const json& r = reasons[i];
    CAPTURE(r.dump());
    CHECK(r.at("rule") == kRuleOrder[i]);
    CHECK(r.at("text").is_string());
    CHECK((r.at("says").is_null() || r.at("says") == "nft" || r.at("says") == "legacy"));
    if (r.at("decided").get<bool>()) {
      ++decided;
      before_decided = false;
      CHECK(r.at("rule") == j.at("rule"));
      CHECK(r.at("says") == j.at("mode"));
    } else if (before_decided) {
      CHECK(r.at("says").is_null());
    }
  }
  CHECK(decided == 1);
  CHECK(j.at("warnings").is_array());
  for (const json& w : j.at("warnings")) CHECK(w.is_string());
  const json& ev = j.at("evidence");
  for (const char* backend : {"nft", "legacy"}) {
    const json& b = ev.at("kernel").at(backend);
    CHECK(b.at("available").is_boolean());
    CHECK(b.at("tables").is_array());
  }
  CHECK(ev.at("host_iptables").is_object());
  CHECK(ev.at("components").is_array());
}

// Parses a detect --json run that must have succeeded.
inline json parse_detect(const RunResult& r, const std::string& what) {
  REQUIRE_MESSAGE(r.exit_code == 0, what << " exited " << r.exit_code << "\nstderr: " << r.err
                                         << "\nstdout: " << r.out);
  json j;
  try {
    j = json::parse(r.out);
  } catch (const std::exception& e) {
    FAIL(what << " printed no JSON (" << e.what() << "):\n" << r.out);
  }
  check_schema(r.out, what);
  check_detect_shape(j);
  return j;
}

// `ip netns exec NS iptmode detect --json [extra...]`.
inline json run_detect(const Netns& ns, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{IPTMODE_BIN, "detect", "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return parse_detect(ns.exec(argv), describe(ns.wrap(argv)));
}

inline const json& reason(const json& j, std::string_view rule) {
  const json* found = nullptr;
  for (const json& r : j.at("reasons"))
    if (r.at("rule") == rule) found = &r;
  REQUIRE_MESSAGE(found != nullptr, "no reason for rule " << rule);
  return *found;
}

// The table of a backend ("nft"/"legacy") in the evidence; null when absent.
inline const json* find_table(const json& j, std::string_view backend, std::string_view family,
                              std::string_view name) {
  for (const json& t : j.at("evidence").at("kernel").at(backend).at("tables"))
    if (t.at("family") == family && t.at("name") == name) return &t;
  return nullptr;
}

inline const json* find_chain(const json* table, std::string_view name) {
  if (table == nullptr) return nullptr;
  for (const json& c : table->at("chains"))
    if (c.at("name") == name) return &c;
  return nullptr;
}

// The rule count of a chain, or -1 when the chain is missing or uncounted.
inline long long chain_rules(const json& j, std::string_view backend, std::string_view family,
                             std::string_view table, std::string_view chain) {
  const json* c = find_chain(find_table(j, backend, family, table), chain);
  if (c == nullptr || c->at("rules").is_null()) return -1;
  return c->at("rules").get<long long>();
}

inline bool any_contains(const json& strings, std::string_view needle) {
  return std::any_of(strings.begin(), strings.end(), [&](const json& s) {
    return s.get<std::string>().find(needle) != std::string::npos;
  });
}

// The inode in "net:[4026532281]", as /proc/PID/ns/* links read.
inline std::uint64_t ns_inode(int pid, std::string_view kind) {
  std::string link = "/proc/" + std::to_string(pid) + "/ns/" + std::string(kind);
  char buf[64];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  REQUIRE_MESSAGE(n > 0, "readlink " << link);
  std::string_view s(buf, static_cast<std::size_t>(n));
  auto open = s.find('[');
  REQUIRE(open != std::string_view::npos);
  return std::stoull(std::string(s.substr(open + 1)));
}

}  // namespace iptmode::test
