// `iptmode repair`: puts a split node back on one backend (docs/repair.md).
#pragma once

#include <string>

#include "core/paths.h"

namespace iptmode::cli {

struct RepairCliOptions {
  bool dry_run = false;
  bool yes = false;
  bool json = false;
  std::string backup_dir;  // empty: /var/lib/iptmode/backups
  std::string restore;     // a backup to put back; empty: repair
  std::string mode;        // auto | nft | legacy; empty: the config decides
  std::string config;
  std::string host_root = "/";
  std::string bin_dir = kDefaultBinDir;
};

// 0 repaired (or nothing to do, or a dry run); 1 refused, nothing changed;
// 2 could not run; 3 applied, but the re-audit still finds Kubernetes
// objects in the stale backend; 4 the ruleset kept changing, nothing applied.
int run_repair(const RepairCliOptions& opts);

}  // namespace iptmode::cli
