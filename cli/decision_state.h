// The shim state a decision records: mode, rule, and the newest iptables-nft
// among the components (the writer an nft reader must not be older than).
// Recording it is shim/files.h's; this only builds it.
#pragma once

#include <string>

#include "detect/decide.h"
#include "detect/evidence.h"
#include "shim/state.h"

namespace iptmode::cli {

shim::State state_for(const Evidence& ev, const Decision& d);

// The state file's text, as `detect --print-state` prints it for the shim.
std::string state_text(const shim::State& s);

}  // namespace iptmode::cli
