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

ScriptRoute route_script(std::string_view path, std::string_view dir) {
  ScriptRoute r;
  if (!path.starts_with('/')) return r;
  const auto slash = path.rfind('/');
  r.base = path.substr(slash + 1);
  // "/iptables" lies in "/": the directory keeps its one slash.
  r.path_dir = slash == 0 ? path.substr(0, 1) : path.substr(0, slash);
  r.same_dir = r.path_dir == dir;
  for (Mode m : {Mode::nft, Mode::legacy}) {
    const std::string_view mode = to_string(m);
    constexpr std::string_view head = "xtables-";
    constexpr std::string_view tail = "-multi";
    if (r.base.size() == head.size() + mode.size() + tail.size() && r.base.starts_with(head) &&
        r.base.substr(head.size(), mode.size()) == mode && r.base.ends_with(tail)) {
      r.route = {true, m};
      return r;
    }
  }
  r.route = route_name(r.base);
  return r;
}

}  // namespace iptmode::shim
