// `iptmode detect`'s output for people: the mode, the rule that decided it,
// every step of the decision with what it said, and the warnings.
#pragma once

#include <string>

#include "detect/decide.h"

namespace iptmode {

// "mode: nft (decided by hint)\n" then one line per reason ('*' marks the
// deciding one) and one per warning.
std::string detect_text(const Decision& d);

}  // namespace iptmode
