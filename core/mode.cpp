#include "core/mode.h"

namespace iptmode {

std::string_view to_string(Mode m) {
  return m == Mode::nft ? "nft" : "legacy";
}

std::optional<Mode> parse_mode(std::string_view s) {
  if (s == "nft") return Mode::nft;
  if (s == "legacy") return Mode::legacy;
  return std::nullopt;
}

}  // namespace iptmode
