// The two packet-filter backends an iptables binary can drive.
#pragma once

#include <optional>
#include <string_view>

namespace iptmode {

enum class Mode { nft, legacy };

// "nft" or "legacy": the words used on the command line, in the config file,
// in JSON and in xtables-<mode>-multi.
std::string_view to_string(Mode m);
std::optional<Mode> parse_mode(std::string_view s);
inline Mode other(Mode m) {
  return m == Mode::nft ? Mode::legacy : Mode::nft;
}

}  // namespace iptmode
