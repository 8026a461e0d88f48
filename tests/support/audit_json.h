// Reading what the root tests ask of a component: its own `iptables -V`
// line (the guide's check, the truth) and iptmode's audit --json about it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "tests/support/detect.h"
#include "tests/support/netns.h"
#include "tests/support/validate_json.h"

namespace iptmode::test {

struct VersionLine {
  std::string mode;  // nft | legacy
  std::string version;
};

// "iptables v1.8.7 (nf_tables)" -> {nft, 1.8.7}
inline VersionLine parse_v(const std::string& out) {
  VersionLine v;
  const auto at = out.find(" v");
  REQUIRE_MESSAGE(at != std::string::npos, "not an iptables -V line: " << out);
  v.version = out.substr(at + 2, out.find(' ', at + 2) - at - 2);
  if (out.find("(nf_tables)") != std::string::npos) v.mode = "nft";
  if (out.find("(legacy)") != std::string::npos) v.mode = "legacy";
  return v;
}

// The component whose pids include PID.
inline const json& component_of(const json& comps, pid_t pid) {
  for (const auto& c : comps)
    for (const auto& p : c.at("pids"))
      if (p == pid) return c;
  FAIL("no component with pid " << pid << " in " << comps.dump(2));
  return comps;  // unreachable
}

// `iptmode audit --json` in NS, its schema checked.
inline json audit_in(const Netns& ns) {
  const auto r = ns.exec({IPTMODE_BIN, "audit", "--json", "--bin-dir", "/nonexistent-iptmode"});
  REQUIRE_MESSAGE(r.exit_code != 2, "audit: " << r.err);
  check_schema(r.out, "audit --json");
  return json::parse(r.out);
}

inline const json* finding(const json& j, std::string_view code) {
  for (const auto& f : j.at("findings"))
    if (f.at("code") == code) return &f;
  return nullptr;
}

}  // namespace iptmode::test
