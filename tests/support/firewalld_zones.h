// firewalld's zone files as it ships them, for the tests that read zones
// (unit: test_firewalld.cpp; root: test_audit.cpp's host root).
#pragma once

namespace iptmode::test {

// /usr/lib/firewalld/zones/public.xml of firewalld 1.3 (Debian 12).
inline constexpr const char* kPublicZoneXml = R"(<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <description>For use in public areas.</description>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <forward/>
</zone>
)";

}  // namespace iptmode::test
