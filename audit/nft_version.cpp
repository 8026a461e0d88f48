#include "audit/nft_version.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace iptmode {

std::optional<Version> read_nft_version(int fd) {
  std::string prev;
  char buf[1 << 16];
  std::size_t total = 0;
  while (total < 64u * 1024 * 1024) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
    std::string window = prev + std::string(buf, static_cast<std::size_t>(n));
    for (std::size_t at = 0; (at = window.find('\0', at)) != std::string::npos; ++at) {
      std::size_t end = window.find('\0', at + 1);
      if (end == std::string::npos) break;
      std::string_view s(window.data() + at + 1, end - at - 1);
      if (s.size() >= 5 && s.size() <= 12 && std::isdigit(static_cast<unsigned char>(s.front())) &&
          std::count(s.begin(), s.end(), '.') == 2 && std::all_of(s.begin(), s.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
          }))
        if (auto v = parse_version(s)) return v;
    }
    prev = window.substr(window.size() > 16 ? window.size() - 16 : 0);
  }
  return std::nullopt;
}

}  // namespace iptmode
