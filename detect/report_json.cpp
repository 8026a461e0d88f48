#include "detect/report_json.h"

namespace iptmode {

using json = nlohmann::ordered_json;

json tables_json(const std::vector<Table>& tables, const TableKeys& keys) {
  json out = json::array();
  for (const auto& t : tables) {
    json chains = json::array();
    for (const auto& c : t.chains) {
      json chain = {{"name", c.name}};
      if (keys.chain_base) chain["base"] = c.base;
      chain["rules"] = c.rules ? json(*c.rules) : json();
      chain["rules_exact"] = c.rules_exact;
      if (keys.chain) keys.chain(t, c, chain);
      chains.push_back(std::move(chain));
    }
    json table = {{"family", t.family}, {"name", t.name}};
    if (keys.table) keys.table(t, table);
    table["chains"] = std::move(chains);
    out.push_back(std::move(table));
  }
  return out;
}

json to_json(const BackendState& b) {
  return {{"available", b.available},
          {"note", b.note},
          {"chains_listed", b.chains_listed},
          {"rules_counted", b.rules_counted},
          {"rules_exact", b.rules_exact},
          {"tables", tables_json(b.tables)},
          {"unread", b.unread}};
}

json to_json(const BinaryEvidence& b) {
  json out = {{"path_var", b.path_var}, {"note", b.note}};
  out["path"] = b.resolved ? json(b.resolved->path) : json();
  out["links"] = b.resolved ? json(b.resolved->links) : json::array();
  out["kind"] = b.info ? json(std::string(to_string(b.info->kind))) : json();
  out["mode"] = b.info ? optional_string(b.info->mode) : json();
  out["version"] = b.info ? optional_string(b.info->version) : json();
  // literal | split | none: a known mode with "none" is a version we could not read.
  out["version_from"] = b.info ? json(std::string(to_string(b.info->version_form))) : json();
  // The wrapper family (core/wrapper.h), "none" for anything else.
  out["wrapper"] = b.info ? json(std::string(to_string(b.info->wrapper))) : json();
  return out;
}

json to_json(const Evidence& ev) {
  json comps = json::array();
  for (const auto& c : ev.components) {
    comps.push_back({{"name", c.name},
                     {"pids", c.pids},
                     {"mount_ns", c.mount_ns},
                     {"net_ns", c.net_ns},
                     {"in_own_netns", c.in_own_netns},
                     {"path_from_environ", c.path_from_environ},
                     {"inspection", std::string(to_string(c.inspection))},
                     {"privilege", c.privilege},
                     {"iptables", to_json(c.iptables)}});
  }
  return {{"kernel", {{"nft", to_json(ev.kernel.nft)}, {"legacy", to_json(ev.kernel.legacy)}}},
          {"host_root", ev.host_root},
          {"host_iptables", to_json(ev.host_iptables)},
          {"components", std::move(comps)}};
}

json to_json(const Decision& d) {
  json reasons = json::array();
  for (const auto& r : d.reasons)
    reasons.push_back({{"rule", std::string(to_string(r.rule))},
                       {"decided", r.decided},
                       {"says", optional_string(r.says)},
                       {"text", r.text}});
  return {{"mode", std::string(to_string(d.mode))},
          {"rule", std::string(to_string(d.rule))},
          {"reasons", std::move(reasons)},
          {"warnings", d.warnings}};
}

std::string json_text(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string detect_json(const Evidence& ev, const Decision& d) {
  json out = {{"schema", kDetectSchema}};
  out.update(to_json(d));
  out["evidence"] = to_json(ev);
  return json_text(out);
}

}  // namespace iptmode
