// One read-only pass over the node for `iptmode audit`: the detection
// pipeline, then everything only the audit reads (every file and /proc entry
// is read here; what is made of it afterwards is pure).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/audit_evidence.h"
#include "core/error.h"
#include "core/paths.h"
#include "detect/pipeline.h"

namespace iptmode {

struct AuditOptions {
  // --mode, --config, --host-root; the audit adds rule counts in both
  // backends and firewalld to the scan.
  PipelineOptions detect;
  std::string bin_dir = kDefaultBinDir;
  Role role = Role::none;
  std::string pod_cidr;
  std::string service_cidr;
  bool exec_probe = false;
};

Result<AuditEvidence> gather_audit(const AuditOptions& opts);

}  // namespace iptmode
