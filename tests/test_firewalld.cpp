// firewalld as the audit reads it: firewalld.conf, the default zone's XML,
// and the files found under a host root.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "audit/firewalld.h"
#include "tests/support/firewalld_zones.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

namespace fs = std::filesystem;

using Strings = std::vector<std::string>;

FirewalldState conf(std::string_view text) {
  FirewalldState s;
  parse_firewalld_conf(text, s);
  return s;
}

FirewalldState zone(std::string_view xml) {
  FirewalldState s;
  parse_zone_xml(xml, s);
  return s;
}

// As firewalld writes a zone after `firewall-cmd --permanent --add-service ...`.
constexpr std::string_view kWorkerZone = R"(<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <description>For use in public areas. You do not trust the other computers on networks to not harm your computer. Only selected incoming connections are accepted.</description>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <service name="k0s-worker"/>
  <source address="10.244.0.0/16"/>
  <source address="10.96.0.0/12"/>
  <masquerade/>
  <forward/>
</zone>
)";

}  // namespace

TEST_CASE("audit firewalld conf: backend and default zone") {
  FirewalldState s = conf(
      "# firewalld config file\n"
      "\n"
      "DefaultZone=work\n"
      "CleanupOnExit=yes\n"
      "FirewallBackend=iptables\n"
      "IPv6_rpfilter=yes\n");
  CHECK(s.backend == FirewallBackend::iptables);
  CHECK(s.zone == "work");
}

TEST_CASE("audit firewalld conf: defaults when the keys are absent or commented out") {
  FirewalldState s = conf("# FirewallBackend=iptables\n#DefaultZone=work\nLogDenied=off\n");
  CHECK_FALSE(s.backend.has_value());
  CHECK(s.zone == "public");
  CHECK(conf("").zone == "public");
}

TEST_CASE("audit firewalld conf: quotes, spaces, CRLF and an empty DefaultZone") {
  FirewalldState s = conf("  FirewallBackend = \"nftables\"\r\nDefaultZone=\r\n");
  CHECK(s.backend == FirewallBackend::nftables);
  CHECK(s.zone == "public");
  CHECK(conf("DefaultZone='internal'\n").zone == "internal");
  // The last assignment wins, as in a shell-style file.
  CHECK(conf("FirewallBackend=nftables\nFirewallBackend=iptables\n").backend ==
        FirewallBackend::iptables);
  // A line without '=' is ignored.
  CHECK(conf("FirewallBackend\n").backend == std::nullopt);
}

TEST_CASE("audit firewalld conf: the backend in any case, and one firewalld does not know") {
  CHECK(conf("FirewallBackend=IPTables\n").backend == FirewallBackend::iptables);
  CHECK(conf("FirewallBackend=NFTABLES\n").note.empty());
  FirewalldState odd = conf("FirewallBackend=ebtables\n");
  CHECK(odd.backend == FirewallBackend::nftables);
  CHECK(odd.note == "FirewallBackend=ebtables is not a backend firewalld knows: taken as nftables");
  CHECK(to_string(FirewallBackend::iptables) == "iptables");
}

TEST_CASE("audit firewalld zone: services, sources and masquerade") {
  FirewalldState s = zone(kWorkerZone);
  CHECK(s.services == Strings{"ssh", "dhcpv6-client", "k0s-worker"});
  CHECK(s.sources == Strings{"10.244.0.0/16", "10.96.0.0/12"});
  CHECK(s.masquerade);
}

TEST_CASE("audit firewalld zone: the shipped public zone has no masquerade and no sources") {
  FirewalldState s = zone(test::kPublicZoneXml);
  CHECK(s.services == Strings{"ssh", "dhcpv6-client"});
  CHECK(s.sources.empty());
  CHECK_FALSE(s.masquerade);
}

TEST_CASE("audit firewalld zone: a rich rule's own source, service and masquerade do not count") {
  FirewalldState s = zone(R"(<zone>
  <service name="ssh"/>
  <rule family="ipv4">
    <source address="192.0.2.0/24"/>
    <service name="k0s-worker"/>
    <masquerade/>
    <accept/>
  </rule>
  <rule priority="-1">
    <source address="198.51.100.7" invert="True"/>
    <drop/>
  </rule>
  <source address="10.244.0.0/16"/>
</zone>)");
  CHECK(s.services == Strings{"ssh"});
  CHECK(s.sources == Strings{"10.244.0.0/16"});
  CHECK_FALSE(s.masquerade);
}

TEST_CASE("audit firewalld zone: source-port, ipset and mac sources are not addresses") {
  FirewalldState s = zone(R"(<zone>
  <source-port port="8080" protocol="tcp"/>
  <source ipset="k8s-nets"/>
  <source mac="00:11:22:33:44:55"/>
  <source address='10.0.0.0/8'/>
  <service name="http" />
</zone>)");
  CHECK(s.sources == Strings{"10.0.0.0/8"});
  CHECK(s.services == Strings{"http"});
}

TEST_CASE("audit firewalld zone: an attribute name inside another is not matched") {
  // "name" is a suffix of "hostname": only a whole attribute name counts.
  FirewalldState s = zone(R"(<zone><service hostname="evil" name="k0s-controller"/></zone>)");
  CHECK(s.services == Strings{"k0s-controller"});
}

TEST_CASE("audit firewalld zone: truncated, empty or foreign XML counts nothing and says why") {
  // firewalld refuses to load a zone that does not parse: nothing of it counts.
  FirewalldState empty = zone("");
  CHECK(empty.services.empty());
  CHECK(empty.note.find("does not parse") != std::string::npos);
  FirewalldState s = zone(R"(<zone><service name="ssh"/><service name="k0s-wor)");
  CHECK(s.services.empty());
  CHECK(s.note.find("does not parse at byte") != std::string::npos);
  FirewalldState r = zone(R"(<zone><rule family="ipv4"><source address="1.2.3.4"/>)");
  CHECK(r.sources.empty());
  FirewalldState other = zone(R"(<service><source address="1.2.3.4"/></service>)");
  CHECK(other.sources.empty());
  CHECK(other.note == "zone XML's root element is <service>, not <zone>");
  CHECK(zone(kWorkerZone).note.empty());
}

// Both reasons reach the finding: the backend firewalld.conf names and why
// the zone counted nothing.
TEST_CASE("audit firewalld zone: a zone that does not parse keeps firewalld.conf's note") {
  FirewalldState s;
  parse_firewalld_conf("FirewallBackend=ebtables\n", s);
  parse_zone_xml("<zone><service name=\"ssh\"", s);
  CHECK(s.note.starts_with("FirewallBackend=ebtables is not a backend firewalld knows"));
  CHECK(s.note.find("; zone XML does not parse at byte") != std::string::npos);
  CHECK(s.services.empty());
}

// The case of the issue: firewall-offline-cmd reads a commented-out line as
// absent, so the audit must too (the scan counted them as present).
TEST_CASE("audit firewalld zone: XML comments do not count") {
  FirewalldState s = zone(R"(<?xml version="1.0" encoding="utf-8"?>
<zone>
  <service name="ssh"/>
  <!-- <masquerade/> -->
  <!--
  <source address="10.244.0.0/16"/>
  <service name="k0s-worker"/>
  -->
  <source address="10.96.0.0/12"/>
</zone>
)");
  CHECK(s.services == Strings{"ssh"});
  CHECK(s.sources == Strings{"10.96.0.0/12"});
  CHECK_FALSE(s.masquerade);
}

TEST_CASE("audit firewalld zone: CDATA is text and entities are decoded") {
  FirewalldState s = zone(
      "<zone><short><![CDATA[<masquerade/><source address=\"1.2.3.4\"/>]]></short>"
      "<service name=\"k0s&#45;worker\"/><service name='a&amp;b'/></zone>");
  CHECK_FALSE(s.masquerade);
  CHECK(s.sources.empty());
  CHECK(s.services == Strings{"k0s-worker", "a&b"});
}

// XML lets attributes go on the next line; a hand-edited zone does that (see
// the report: the tag test accepts a space or a tab after the name, not a newline).
TEST_CASE("audit firewalld zone: attributes on the next line") {
  FirewalldState s = zone(
      "<zone>\n  <service\n    name=\"k0s-worker\"/>\n"
      "  <source\n    address=\"10.244.0.0/16\"/>\n</zone>\n");
  CHECK(s.services == Strings{"k0s-worker"});
  CHECK(s.sources == Strings{"10.244.0.0/16"});
}

TEST_CASE("audit firewalld files: no config under the root") {
  test::TempDir root;
  FirewalldState s = read_firewalld(root.path(), true);
  CHECK_FALSE(s.config_found);
  CHECK(s.running);
  CHECK(s.zone == "public");
  CHECK_FALSE(s.note.empty());
}

TEST_CASE("audit firewalld files: the default zone under /etc overrides /usr/lib") {
  test::TempDir root;
  root.file("/etc/firewalld/firewalld.conf", "DefaultZone=trusted\nFirewallBackend=iptables\n");
  root.file("/usr/lib/firewalld/zones/trusted.xml",
            R"(<zone target="ACCEPT"><service name="shipped"/></zone>)");
  root.file("/usr/lib/firewalld/zones/public.xml", R"(<zone><service name="public"/></zone>)");

  FirewalldState shipped = read_firewalld(root.path(), false);
  CHECK(shipped.config_found);
  CHECK_FALSE(shipped.running);
  CHECK(shipped.backend == FirewallBackend::iptables);
  CHECK(shipped.zone == "trusted");
  CHECK(shipped.zone_found);
  CHECK(shipped.services == Strings{"shipped"});

  root.file("/etc/firewalld/zones/trusted.xml",
            R"(<zone target="ACCEPT"><service name="local"/><masquerade/></zone>)");
  FirewalldState local = read_firewalld(root.path(), false);
  CHECK(local.services == Strings{"local"});
  CHECK(local.masquerade);
}

// In the DaemonSet the host's / is mounted at /host: a link in it to an
// absolute path names that path on the host, never in the audit's container.
TEST_CASE("audit firewalld files: links to absolute paths resolve inside the host root") {
  test::TempDir root;
  root.link("/etc/firewalld/firewalld.conf", "/etc/elsewhere");
  root.file("/etc/elsewhere", "DefaultZone=work\nFirewallBackend=iptables\n");
  root.link("/etc/firewalld/zones/work.xml", "/etc/hostname");
  root.file("/etc/hostname", R"(<zone><service name="inside"/></zone>)");

  FirewalldState s = read_firewalld(root.str(), false);
  CHECK(s.config_found);
  CHECK(s.backend == FirewallBackend::iptables);
  CHECK(s.zone == "work");
  CHECK(s.zone_found);
  CHECK(s.services == Strings{"inside"});
}

// /proc/kmsg in a root is that root's file; the host's /proc is not reached.
TEST_CASE("audit firewalld files: a link to /proc/kmsg is not the kernel's log") {
  test::TempDir root;
  root.link("/etc/firewalld/firewalld.conf", "/proc/kmsg");
  FirewalldState s = read_firewalld(root.str(), false);
  CHECK_FALSE(s.config_found);
  CHECK(s.note.find("No such file or directory") != std::string::npos);
}

TEST_CASE("audit firewalld files: a config without its zone file") {
  test::TempDir root;
  root.file("/etc/firewalld/firewalld.conf", "DefaultZone=missing\n");
  FirewalldState s = read_firewalld(root.path(), false);
  CHECK(s.config_found);
  CHECK_FALSE(s.zone_found);
  CHECK(s.zone == "missing");
  CHECK(s.note.find("zone missing not found") != std::string::npos);
}

}  // namespace iptmode
