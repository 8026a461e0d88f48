// --pod-cidr and --service-cidr are checked before the audit uses them.
#include "audit/cidr.h"

#include <doctest/doctest.h>

namespace iptmode {

TEST_CASE("cidr: IPv4 and IPv6 CIDRs with a prefix the family allows") {
  CHECK(check_cidr("10.244.0.0/16"));
  CHECK(check_cidr("10.96.0.0/12"));
  CHECK(check_cidr("0.0.0.0/0"));
  CHECK(check_cidr("192.168.1.1/32"));
  CHECK(check_cidr("fd00:10:244::/56"));
  CHECK(check_cidr("::/128"));
}

TEST_CASE("cidr: garbage, a missing or out-of-range prefix are refused, naming the value") {
  for (const char* bad :
       {"garbage", "", "10.0.0.0", "10.0.0.0/99", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1",
        "10.0.0.0/16x", "10.0.0/16", "fd00::/129", "/16", "10.0.0.0/ 16", "10.0.0.0/16/8"}) {
    CAPTURE(bad);
    auto r = check_cidr(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
  }
  CHECK(check_cidr("10.0.0.0/99").error().message.find("0 to 32") != std::string::npos);
}

}  // namespace iptmode
