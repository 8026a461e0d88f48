// The shim's whole job: find the decided backend and become it.
#pragma once

namespace iptmode::shim {

// Returns only on `iptmode-shim --version` / usage; otherwise it execs the
// backend or refuses (exit 1).
int run(int argc, char** argv, char** envp);

}  // namespace iptmode::shim
