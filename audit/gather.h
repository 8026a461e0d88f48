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
  std::string bin_dir;  // empty: default_bin_dir
  Role role = Role::none;
  std::string pod_cidr;
  std::string service_cidr;
  bool exec_probe = false;
  unsigned jobs = 1;  // nf_tables chains read at once (read_foreign_rules)
};

Result<AuditEvidence> gather_audit(const AuditOptions& opts);

// Without --bin-dir: k0s's /var/lib/k0s/bin when it exists, else k3s's
// <data-dir>/data/current/bin when that exists (the data dir of a running
// k3s, else /var/lib/rancher/k3s), else k0s's. Read under host_root.
BinDirChoice default_bin_dir(const std::string& host_root, const std::vector<Component>& comps);

}  // namespace iptmode
