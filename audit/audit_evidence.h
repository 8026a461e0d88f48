// Everything the audit looks at: the detector's evidence (with rule counts
// in both backends), its decision, and what only the audit reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/bin_dir.h"
#include "audit/component_mode.h"
#include "audit/firewalld.h"
#include "audit/foreign_rules_read.h"
#include "audit/k0s_config.h"
#include "detect/decide.h"
#include "detect/evidence.h"

namespace iptmode {

enum class Role { none, controller, worker, controller_worker };

struct ProbeResult {
  bool ran = false;
  std::optional<Mode> mode;  // from `iptables -V` inside its mount namespace
  std::string output;        // first line, or why it did not run
};

struct AuditedComponent {
  Component c;
  ComponentMode how;
  ProbeResult probe;
};

// Which bin dir the audit read, and why.
struct BinDirChoice {
  std::string dir;
  std::string why;   // "--bin-dir", or how the default was found
  bool k3s = false;  // k3s's bundled bin dir: the shim is never installed there
};

struct AuditEvidence {
  Evidence ev;
  Decision decision;
  BinDirChoice bin_choice;
  BinDirState bin;
  std::vector<AuditedComponent> components;
  BinaryEvidence host_nft;
  std::optional<Version> host_nft_version;
  FirewalldState firewalld;
  Role role = Role::none;
  ClusterCidrs cidrs;
  // For k0s's own next choice (audit/k0s_next_choice.h): the k0s process
  // (worker or controller), whose argv and PATH k0s decides with, and the
  // kernel release as k0s reads it.
  std::optional<Component> k0s;
  std::string osrelease;
  ForeignRules foreign;  // native rules in the iptables tables
};

}  // namespace iptmode
