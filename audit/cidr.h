// Whether a --pod-cidr or --service-cidr value is a CIDR: an IPv4 or IPv6
// address, a slash, and a prefix length the family allows. Pure.
#pragma once

#include <string_view>

#include "core/error.h"

namespace iptmode {

// Fails with one line that names the value and what is wrong with it.
Result<void> check_cidr(std::string_view cidr);

}  // namespace iptmode
