#include "audit/firewalld.h"

#include <fmt/format.h>

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

// The value of attribute `name` in one tag's text, e.g. name="k0s-worker".
std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  std::size_t at = 0;
  while ((at = tag.find(name, at)) != std::string_view::npos) {
    const bool word_start =
        at == 0 || tag[at - 1] == ' ' || tag[at - 1] == '\t' || tag[at - 1] == '\n';
    std::size_t p = at + name.size();
    while (p < tag.size() && tag[p] == ' ') ++p;
    if (word_start && p < tag.size() && tag[p] == '=') {
      ++p;
      while (p < tag.size() && tag[p] == ' ') ++p;
      if (p < tag.size() && (tag[p] == '"' || tag[p] == '\'')) {
        const char q = tag[p];
        auto end = tag.find(q, p + 1);
        if (end != std::string_view::npos) return std::string(tag.substr(p + 1, end - p - 1));
      }
    }
    at = p;
  }
  return std::nullopt;
}

// `tag` (the text between < and >) opens element `name`: the name ends at
// white space, '/' or the tag's end, so <service\n name=..> counts and
// <services> does not.
bool is_element(std::string_view tag, std::string_view name) {
  if (!tag.starts_with(name)) return false;
  if (tag.size() == name.size()) return true;
  const char c = tag[name.size()];
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/';
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

// Zone files are small, machine-written XML: a tag scan is enough, and the
// audit must not need an XML library on every node.
void parse_zone_xml(std::string_view xml, FirewalldState& out) {
  std::size_t at = 0;
  while ((at = xml.find('<', at)) != std::string_view::npos) {
    auto end = xml.find('>', at);
    if (end == std::string_view::npos) break;
    std::string_view tag = xml.substr(at + 1, end - at - 1);
    at = end + 1;
    if (is_element(tag, "service")) {
      if (auto n = attribute(tag, "name")) out.services.push_back(*n);
    } else if (is_element(tag, "source")) {
      if (auto a = attribute(tag, "address")) out.sources.push_back(*a);
    } else if (is_element(tag, "masquerade")) {
      out.masquerade = true;
    } else if (is_element(tag, "rule")) {
      // Rich rules carry <source> and <service> of their own: skip to </rule>.
      if (!tag.ends_with("/")) {
        auto close = xml.find("</rule>", at);
        if (close == std::string_view::npos) break;
        at = close + 7;
      }
    }
  }
}

namespace {

void add_note(FirewalldState& fw, std::string_view note) {
  if (!fw.note.empty()) fw.note += "; ";
  fw.note += note;
}

}  // namespace

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
