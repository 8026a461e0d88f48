// firewalld as the audit sees it: whether it runs, which backend its config
// names, and what its default zone allows (the permanent config on disk).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iptmode {

// FirewallBackend= in firewalld.conf.
enum class FirewallBackend { nftables, iptables };
std::string_view to_string(FirewallBackend b);

struct FirewalldState {
  bool config_found = false;  // <root>/etc/firewalld/firewalld.conf exists
  bool running = false;       // a firewalld process exists
  // Unset: the file does not say, and firewalld uses nftables. A value
  // firewalld does not know is nftables too, with a note.
  std::optional<FirewallBackend> backend;
  std::string zone;  // DefaultZone, default "public"
  bool zone_found = false;
  std::vector<std::string> services;  // <service name=...> in the zone
  std::vector<std::string> sources;   // <source address=...>
  bool masquerade = false;
  std::string note;
};

// FirewallBackend and DefaultZone from firewalld.conf text.
void parse_firewalld_conf(std::string_view text, FirewalldState& out);

// Services, sources and masquerade from a zone's XML.
void parse_zone_xml(std::string_view xml, FirewalldState& out);

// `running` is told by the caller (from its /proc scan).
FirewalldState read_firewalld(const std::string& host_root, bool running);

}  // namespace iptmode
