#include "audit/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <string>

#include <fmt/format.h>

namespace iptmode {

Result<void> check_cidr(std::string_view cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos)
    return fail(
        fmt::format("\"{}\" is not a CIDR: expected ADDRESS/PREFIX, e.g. 10.244.0.0/16", cidr));
  const std::string addr(cidr.substr(0, slash));
  const std::string_view len = cidr.substr(slash + 1);
  in6_addr buf{};
  int max = -1;
  if (::inet_pton(AF_INET, addr.c_str(), &buf) == 1)
    max = 32;
  else if (::inet_pton(AF_INET6, addr.c_str(), &buf) == 1)
    max = 128;
  if (max < 0) return fail(fmt::format("\"{}\": \"{}\" is not an IP address", cidr, addr));
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (len.empty() || ec != std::errc{} || ptr != len.data() + len.size() || prefix < 0 ||
      prefix > max)
    return fail(fmt::format("\"{}\": the prefix length must be 0 to {}", cidr, max));
  return {};
}

}  // namespace iptmode
