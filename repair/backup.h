// Before any change: both backends of this network namespace, both
// families, saved with counters in the format iptables-restore reads, plus
// the plan, under DIR/iptmode-repair-<time>:
//   .nft.rules  .nft.ip6.rules  .legacy.rules  .legacy.ip6.rules  .plan.json
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "repair/tools.h"

namespace iptmode::repair {

inline constexpr const char* kDefaultBackupDir = "/var/lib/iptmode/backups";

struct BackupPart {
  Mode mode;
  std::string family;  // "ip" | "ip6"
  std::string suffix;  // ".nft.rules", ...
};

// The four save files of a backup, in the order they are written.
std::vector<BackupPart> backup_parts();

// Creates `dir` (0700) if missing; every file 0600, created anew (never
// over an existing one) and synced before this returns. Returns the prefix.
Result<std::string> write_backup(const Tools& t, const std::string& dir,
                                 const std::string& plan_json);

}  // namespace iptmode::repair
