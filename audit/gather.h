// One read-only pass over the node for `iptmode audit`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/audit_evidence.h"
#include "core/error.h"
#include "core/paths.h"

namespace iptmode {

struct AuditOptions {
  std::string host_root = "/";
  std::string bin_dir = kDefaultBinDir;
  std::optional<Override> override_mode;
  std::vector<std::string> extra_components;
  Role role = Role::none;
  std::string pod_cidr;
  std::string service_cidr;
  bool exec_probe = false;
};

Result<AuditEvidence> gather_audit(const AuditOptions& opts);

}  // namespace iptmode
