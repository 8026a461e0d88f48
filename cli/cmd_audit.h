// `iptmode audit`: the host report.
#pragma once

#include <string>
#include <vector>

#include "core/paths.h"

namespace iptmode::cli {

struct AuditCliOptions {
  bool json = false;
  bool npd = false;
  std::string prometheus;  // textfile path; empty: none
  std::string fail_on = "warning";
  std::string mode;  // auto | nft | legacy; empty: the config decides
  std::string config;
  std::string host_root = "/";
  std::string bin_dir;  // empty: the audit picks k0s's or k3s's (default_bin_dir)
  std::string role;     // controller | worker | controller+worker; empty: none
  std::string pod_cidr;
  std::string service_cidr;
  bool exec_probe = false;
  unsigned jobs = 0;  // --jobs; 0: the CPUs it may run on, at most kDefaultJobsMax
};

// Without --jobs, nf_tables chains are read by one thread per CPU the audit
// may run on (its affinity), up to this many: past it the gain is small and
// a node's packet path shares those cores.
inline constexpr unsigned kDefaultJobsMax = 4;

// 0: no finding reaches --fail-on; 1: one does; 2: the audit could not run.
int run_audit(const AuditCliOptions& opts);

}  // namespace iptmode::cli
