#include "shim/names.h"

namespace iptmode::shim {

NameRoute route_name(std::string_view name) {
  for (std::string_view base : kNames) {
    if (name == base) return {true, std::nullopt};
    // iptables-save -> iptables-nft-save: the mode goes after the first word.
    const auto dash = base.find('-');
    const std::string_view head = base.substr(0, dash);
    const std::string_view rest =
        dash == std::string_view::npos ? std::string_view{} : base.substr(dash);
    for (Mode m : {Mode::nft, Mode::legacy}) {
      const std::string_view mode = to_string(m);
      if (name.size() == head.size() + 1 + mode.size() + rest.size() && name.starts_with(head) &&
          name[head.size()] == '-' && name.substr(head.size() + 1, mode.size()) == mode &&
          name.substr(head.size() + 1 + mode.size()) == rest)
        return {true, m};
    }
  }
  return {};
}

}  // namespace iptmode::shim
