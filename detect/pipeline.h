// The one detection pipeline: read the config, apply the override, gather
// the evidence, decide. `iptmode detect`, `iptmode audit` and `iptmode shim
// uninstall` (with no recorded state) all run this, so they decide alike.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "detect/config.h"
#include "detect/decide.h"
#include "detect/evidence.h"

namespace iptmode {

struct PipelineOptions {
  std::string mode;    // --mode: auto | nft | legacy; empty: the config's mode= decides
  std::string config;  // --config, a host path; empty: <host_root>/etc/iptmode/iptmode.conf
  std::string host_root = "/";
  bool always_count_rules = false;  // the audit counts both backends, hint or not
  ScanLimits limits;                // what the component scan may spend
  // Processes found on the same /proc scan that take no part in the
  // decision (the audit's firewalld): returned in Detection::also_found.
  std::vector<std::string> also_scan;
};

struct Detection {
  Config config;
  std::string config_path;  // the file the config came from (or would have)
  std::optional<Override> override_mode;
  Evidence evidence;  // components: the defaults and the config's `components =`
  Decision decision;
  std::vector<Component> also_found;
};

// Fails on a config that cannot be read or parsed, a bad `mode`, or evidence
// that cannot be gathered (not root, netlink refused).
Result<Detection> run_pipeline(const PipelineOptions& opts);

}  // namespace iptmode
