#include "detect/report_json.h"

namespace iptmode {

using json = nlohmann::ordered_json;

namespace {

json to_json(const BackendState& b) {
  json tables = json::array();
  for (const auto& t : b.tables) {
    json chains = json::array();
    for (const auto& c : t.chains)
      chains.push_back({{"name", c.name},
                        {"base", c.base},
                        {"rules", c.rules ? json(*c.rules) : json()},
                        {"rules_exact", c.rules_exact}});
    tables.push_back({{"family", t.family}, {"name", t.name}, {"chains", std::move(chains)}});
  }
  return {{"available", b.available},         {"note", b.note},
          {"rules_counted", b.rules_counted}, {"rules_exact", b.rules_exact},
          {"tables", std::move(tables)},      {"unread", b.unread}};
}

template <class T>
json optional_string(const std::optional<T>& v) {
  return v ? json(std::string(to_string(*v))) : json();
}

}  // namespace

json to_json(const BinaryEvidence& b) {
  json out = {{"path_var", b.path_var}, {"note", b.note}};
  out["path"] = b.resolved ? json(b.resolved->path) : json();
  out["links"] = b.resolved ? json(b.resolved->links) : json::array();
  out["kind"] = b.info ? json(std::string(to_string(b.info->kind))) : json();
  out["mode"] = b.info ? optional_string(b.info->mode) : json();
  out["version"] = b.info ? optional_string(b.info->version) : json();
  // literal | split | none: a known mode with "none" is a version we could not read.
  out["version_from"] = b.info ? json(std::string(to_string(b.info->version_form))) : json();
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

json detect_json(const Evidence& ev, const Decision& d) {
  json out = {{"schema", kDetectSchema}};
  out.update(to_json(d));
  out["evidence"] = to_json(ev);
  return out;
}

}  // namespace iptmode
