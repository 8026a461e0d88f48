#include "detect/flags.h"

namespace iptmode {

std::optional<std::string> flag_value(const std::vector<std::string>& argv, std::string_view name,
                                      bool boolean) {
  std::optional<std::string> out;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (!a.starts_with('-')) continue;
    a.remove_prefix(a.starts_with("--") ? 2 : 1);
    if (!a.starts_with(name)) continue;
    a.remove_prefix(name.size());
    if (a.starts_with('=')) {
      out = std::string(a.substr(1));
    } else if (a.empty()) {
      // A boolean takes no separate value (`--x false` is not Go's syntax).
      if (boolean)
        out = "true";
      else if (i + 1 < argv.size())
        out = argv[++i];
    }
  }
  return out;
}

bool flag_true(const std::vector<std::string>& argv, std::string_view name) {
  const auto v = flag_value(argv, name, true);
  // Go's strconv.ParseBool.
  return v && (*v == "1" || *v == "t" || *v == "T" || *v == "true" || *v == "TRUE" || *v == "True");
}

std::string first_operand(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i)
    if (!argv[i].starts_with('-')) return argv[i];
  return {};
}

}  // namespace iptmode
