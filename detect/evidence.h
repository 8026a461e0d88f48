// Everything the decision looks at, gathered in one read-only pass.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "detect/components.h"
#include "detect/kernel.h"
#include "detect/modules.h"

namespace iptmode {

struct Evidence {
  KernelState kernel;
  std::string host_root = "/";
  BinaryEvidence host_iptables;  // the host's own `iptables` on the default PATH
  std::vector<Component> components;
};

struct GatherOptions {
  std::string host_root = "/";
  std::vector<std::string> component_names;  // default: kDefaultComponents
  bool always_count_rules = false;           // the audit wants counts; detect only when no hint
  ScanLimits limits;                         // what the component scan may spend
};

// Fails only when a backend cannot be read at all (not root, netlink refused);
// a missing host binary or a vanished process is evidence, not an error.
Result<Evidence> gather_evidence(const GatherOptions& opts);

}  // namespace iptmode
