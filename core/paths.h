// Where iptmode's files and k0s's live by default: one definition each, for
// the shim, the CLI, the audit and the man pages' defaults.
#pragma once

namespace iptmode {

// The directory k0s links the six iptables names in, and the shim's home.
inline constexpr const char* kDefaultBinDir = "/var/lib/k0s/bin";

}  // namespace iptmode
