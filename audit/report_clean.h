// Text from containers (paths, names, environment values) made safe to show:
// a terminal escape in one must not repaint the operator's screen, a newline
// must not split node-problem-detector's one line.
#pragma once

#include <string>
#include <string_view>

namespace iptmode {

// Control bytes (below 0x20, and 0x7f) as "\xNN"; everything else as is.
std::string clean(std::string_view text);

}  // namespace iptmode
