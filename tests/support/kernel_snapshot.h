// A network namespace's packet filter as text, for the read-only checks of
// the audit and the monitor: compare it before and after.
#pragma once

#include <string>
#include <vector>

#include "tests/support/netns.h"
#include "tests/support/run.h"

namespace iptmode::test {

// The namespace's packet filter as the real tools print it, and the x_tables
// table lists (iptc_init on a missing table would create it).
inline std::string kernel_snapshot(const Netns& ns) {
  std::string out;
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{"iptables-legacy-save"},
                                             {"ip6tables-legacy-save"},
                                             {"iptables-nft-save"},
                                             {"ip6tables-nft-save"},
                                             {"nft", "list", "ruleset"},
                                             {"cat", "/proc/net/ip_tables_names"},
                                             {"cat", "/proc/net/ip6_tables_names"}}) {
    out += "== " + describe(argv) + "\n";
    for (const auto& line : lines(ns.exec_ok(argv).out))
      if (!line.starts_with("#")) out += line + "\n";  // "# Generated ... on <date>"
  }
  return out;
}

}  // namespace iptmode::test
