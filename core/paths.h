// Where iptmode's files and k0s's live by default: one definition each, for
// the shim, the CLI, the audit and the man pages' defaults.
#pragma once

namespace iptmode {

// The directory k0s links the six iptables names in, and the shim's home.
inline constexpr const char* kDefaultBinDir = "/var/lib/k0s/bin";

// Where the package installs the shim (packaging/packaging.cmake): `shim
// install` copies it from there into the bin dir, and the audit compares the
// two (an upgrade replaces only this one).
inline constexpr const char* kPackagedShim = "/usr/libexec/iptmode/iptmode-shim";

}  // namespace iptmode
