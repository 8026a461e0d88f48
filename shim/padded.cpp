#include "shim/padded.h"

#include "shim/names.h"

namespace iptmode::shim {

std::optional<std::string> padded_script(std::string_view dir, std::string_view name,
                                         std::size_t size) {
  std::string s = "#!";
  s += dir;
  s += '/';
  s += kShimFile;
  if (s.size() > kShebangMax) return std::nullopt;
  s += '\n';
  s += kPaddedMarker;
  s += name;
  s += " is in ";
  s += kBackendStore;
  s += "/; `iptmode shim uninstall` puts it back\n";
  if (s.size() > size) return std::nullopt;
  // Newlines: the kernel never reads past the first line, and a reader sees
  // two lines, not a wall of blanks.
  s.resize(size, '\n');
  return s;
}

std::optional<std::string_view> padded_interpreter(std::string_view head) {
  if (!head.starts_with("#!")) return std::nullopt;
  const auto nl = head.find('\n');
  if (nl == std::string_view::npos || nl > kShebangMax) return std::nullopt;
  if (head.substr(nl + 1).substr(0, kPaddedMarker.size()) != kPaddedMarker) return std::nullopt;
  const std::string_view interp = head.substr(2, nl - 2);
  const std::string_view shim = kShimFile;
  if (!interp.starts_with('/') || !interp.ends_with(shim) || interp.size() <= shim.size() ||
      interp[interp.size() - shim.size() - 1] != '/')
    return std::nullopt;
  return interp;
}

}  // namespace iptmode::shim
