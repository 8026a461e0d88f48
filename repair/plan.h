// What `iptmode repair` will do: a pure function from the audit's evidence
// and the stale backend's saved text to a plan. It names, per table, the
// Kubernetes chains to delete (with their rules), the rules in built-in
// chains that jump to them, and the nf_tables tables left empty; it lists
// what it leaves and why, and the reasons it refuses to run at all.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "audit/audit_evidence.h"
#include "core/mode.h"
#include "repair/save_text.h"

namespace iptmode::repair {

struct PlannedJump {
  std::string chain;            // a built-in chain
  std::size_t index = 0;        // the rule's position in it (0-based)
  std::size_t chain_rules = 0;  // how many rules that chain had in the save
  std::string text;             // "-A PREROUTING -j KUBE-SERVICES"
  std::string target;
};

struct PlannedChain {
  std::string name;
  std::string owner;               // audit/owners.h's name
  std::vector<std::string> rules;  // its -A lines, deleted with it
};

struct TablePlan {
  std::string family;  // "ip" | "ip6"
  std::string table;
  std::vector<PlannedJump> jumps;    // deleted first
  std::vector<PlannedChain> chains;  // then flushed, then deleted
  // nf_tables only: nothing but empty built-in chains with policy ACCEPT is
  // left, so the table itself goes (iptables created it on first use).
  bool delete_table = false;
};

struct LeftObject {
  std::string object;  // "legacy ip filter DOCKER", "nft inet firewalld"
  std::string reason;
};

struct Plan {
  Mode kept = Mode::nft;
  Mode stale = Mode::legacy;
  std::vector<TablePlan> tables;
  std::vector<LeftObject> left;
  std::vector<std::string> refusals;  // one line each; any one: nothing is done
  bool empty() const { return tables.empty(); }
  std::size_t line_count() const;  // rules and chain lines to delete
};

// `stale` is the stale backend's save, one SavedRuleset per family.
Plan make_plan(const AuditEvidence& a, const std::vector<SavedRuleset>& stale);

}  // namespace iptmode::repair
