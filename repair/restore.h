// `iptmode repair --restore BACKUP`: puts a backup back exactly. Each of its
// four saves goes through the host's iptables-<mode>-restore --counters
// (one transaction per table, legacy under the xtables lock with -w); an
// nf_tables iptables table that the backup does not have is deleted, so
// both backends save byte for byte as they did.
#pragma once

#include <string>

#include "core/error.h"
#include "repair/tools.h"

namespace iptmode::repair {

// `backup` is the prefix, or any one of its files.
std::string backup_prefix(const std::string& backup);

Result<void> restore_backup(const Tools& t, const std::string& backup);

}  // namespace iptmode::repair
