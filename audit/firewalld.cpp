#include "audit/firewalld.h"

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/text.h"
#include "detect/config_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return std::string(v);
}

void add_note(FirewalldState& fw, std::string_view note) {
  if (!fw.note.empty()) fw.note += "; ";
  fw.note += note;
}

}  // namespace

std::string_view to_string(FirewallBackend b) {
  return b == FirewallBackend::iptables ? "iptables" : "nftables";
}

void parse_firewalld_conf(std::string_view text, FirewalldState& out) {
  out.zone = "public";
  while (!text.empty()) {
    std::string_view line = trim(next_line(text));
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, eq));
    std::string value = unquote(trim(line.substr(eq + 1)));
    if (key == "FirewallBackend") {
      // firewalld compares the value without regard to case and falls back
      // to nftables for one it does not know.
      const bool iptables = equals_nocase(value, "iptables");
      out.backend = iptables ? FirewallBackend::iptables : FirewallBackend::nftables;
      if (!iptables && !equals_nocase(value, "nftables"))
        out.note = fmt::format(
            "FirewallBackend={} is not a backend firewalld knows: taken as nftables", value);
    } else if (key == "DefaultZone" && !value.empty())
      out.zone = value;
  }
}

// A real XML parser (pugixml): comments, CDATA, entities and attribute
// quoting read as firewalld reads them. Only <zone>'s own children count;
// the <source> and <service> inside a rich <rule> belong to that rule.
void parse_zone_xml(std::string_view xml, FirewalldState& out) {
  pugi::xml_document doc;
  const pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default);
  if (!r) {
    add_note(out, fmt::format("zone XML does not parse at byte {}: {}", r.offset, r.description()));
    return;
  }
  const pugi::xml_node zone = doc.document_element();
  if (std::string_view(zone.name()) != "zone") {
    add_note(out, fmt::format("zone XML's root element is <{}>, not <zone>", zone.name()));
    return;
  }
  for (const pugi::xml_node child : zone.children()) {
    const std::string_view name = child.name();
    if (name == "service") {
      if (auto a = child.attribute("name")) out.services.emplace_back(a.value());
    } else if (name == "source") {
      if (auto a = child.attribute("address")) out.sources.emplace_back(a.value());
    } else if (name == "masquerade") {
      out.masquerade = true;
    }
  }
}

// Every path is resolved inside the host root: a link there that points to
// an absolute path (firewalld.conf -> /etc/elsewhere) means that path in the
// root, never the audit's own filesystem (in the DaemonSet, the container's).
FirewalldState read_firewalld(const std::string& host_root, bool running) {
  FirewalldState fw;
  fw.running = running;
  fw.zone = "public";
  const std::string shown = host_root == "/" ? "" : host_root;
  auto root = open_root(host_root);
  if (!root) {
    fw.note = root.error().message;
    return fw;
  }
  auto conf = read_config_in_root(root->get(), "/etc/firewalld/firewalld.conf", 256 * 1024);
  if (!conf || conf->truncated) {
    fw.note = fmt::format("{}/etc/firewalld/firewalld.conf: {}", shown,
                          conf ? "larger than 256 KiB, not read" : conf.error().message);
    return fw;
  }
  fw.config_found = true;
  parse_firewalld_conf(conf->text, fw);
  // The permanent zone: /etc overrides the shipped /usr/lib copy.
  for (const char* dir : {"/etc/firewalld/zones/", "/usr/lib/firewalld/zones/"}) {
    auto zone =
        read_config_in_root(root->get(), fmt::format("{}{}.xml", dir, fw.zone), 1024 * 1024);
    if (!zone || zone->truncated) continue;
    fw.zone_found = true;
    parse_zone_xml(zone->text, fw);
    break;
  }
  if (!fw.zone_found)
    add_note(fw, fmt::format("zone {} not found under {}/etc/firewalld/zones", fw.zone, shown));
  return fw;
}

}  // namespace iptmode
