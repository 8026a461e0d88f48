#include "detect/report_json.h"
#include "audit/owners.h"
#include "audit/report.h"

namespace iptmode {

using json = nlohmann::ordered_json;

namespace {

json backend_json(const BackendState& b) {
  json tables = json::array();
  for (const auto& t : b.tables) {
    json chains = json::array();
    for (const auto& c : t.chains)
      chains.push_back(
          {{"name", c.name},
           {"rules", c.rules ? json(*c.rules) : json()},
           {"rules_exact", c.rules_exact},
           {"owner", is_iptables_table(t) ? std::string(chain_owner(c.name))
                                          : std::string(native_table_owner(t.family, t.name))}});
    tables.push_back({{"family", t.family},
                      {"name", t.name},
                      {"iptables", is_iptables_table(t)},
                      {"chains", std::move(chains)}});
  }
  return {{"available", b.available},
          {"note", b.note},
          {"iptables_rules", iptables_rule_count(b)},
          {"iptables_rules_exact", b.rules_exact},
          {"tables", std::move(tables)}};
}

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(std::string(to_string(*v))) : json();
}

}  // namespace

json audit_json(const AuditEvidence& a, const std::vector<Finding>& f) {
  json comps = json::array();
  for (const auto& ac : a.components) {
    const auto& b = ac.c.iptables;
    json c = {{"name", ac.c.name},
              {"pids", ac.c.pids},
              {"mount_ns", ac.c.mount_ns},
              {"net_ns", ac.c.net_ns},
              {"in_audit_netns", ac.c.in_own_netns},
              {"binary", b.resolved ? json(b.resolved->path) : json()},
              {"kind", b.info ? json(std::string(to_string(b.info->kind))) : json()},
              {"mode", opt(ac.how.mode)},
              {"version", b.info ? opt(b.info->version) : json()},
              {"source", ac.how.source},
              {"wrapper_pending", ac.how.wrapper_pending},
              {"predicted", opt(ac.how.predicted)}};
    if (!ac.how.proxy_mode.empty()) c["proxy_mode"] = ac.how.proxy_mode;
    if (ac.how.nft_version) c["nft_version"] = to_string(*ac.how.nft_version);
    if (ac.probe.ran || !ac.probe.output.empty())
      c["probe"] = {
          {"ran", ac.probe.ran}, {"mode", opt(ac.probe.mode)}, {"output", ac.probe.output}};
    comps.push_back(std::move(c));
  }
  json names = json::array();
  for (const auto& n : a.bin.names)
    names.push_back({{"name", n.name},
                     {"present", n.present},
                     {"target", n.target ? json(*n.target) : json()},
                     {"shim", n.points_to_shim}});
  json staged = json::array();
  for (const auto& s : a.bin.backends)
    staged.push_back({{"mode", std::string(to_string(s.mode))},
                      {"path", s.path},
                      {"version", s.info ? opt(s.info->version) : json()},
                      {"note", s.note}});
  json findings = json::array();
  for (const auto& x : f)
    findings.push_back({{"code", x.code},
                        {"severity", std::string(to_string(x.severity))},
                        {"message", x.message},
                        {"evidence", x.evidence},
                        {"remedy", x.remedy}});
  const auto& fw = a.firewalld;
  return {
      {"schema", kAuditSchema},
      {"mode", std::string(to_string(a.decision.mode))},
      {"rule", std::string(to_string(a.decision.rule))},
      {"decision", to_json(a.decision)},
      {"components", std::move(comps)},
      {"kernel",
       {{"nft", backend_json(a.ev.kernel.nft)}, {"legacy", backend_json(a.ev.kernel.legacy)}}},
      {"host",
       {{"iptables", to_json(a.ev.host_iptables)},
        {"nft",
         {{"path", a.host_nft.resolved ? json(a.host_nft.resolved->path) : json()},
          {"version", opt(a.host_nft_version)}}}}},
      {"bin_dir",
       {{"path", a.bin.dir},
        {"exists", a.bin.exists},
        {"shim_installed", a.bin.shim_installed},
        {"names", std::move(names)},
        {"backend_dir", a.bin.backend_dir},
        {"backends", std::move(staged)},
        {"state_mode", opt(a.bin.state_mode)},
        {"state_note", a.bin.state_note},
        {"shim_refusals", a.bin.shim_refusals}}},
      {"firewalld",
       {{"config_found", fw.config_found},
        {"running", fw.running},
        {"backend", fw.backend ? json(*fw.backend) : json()},
        {"zone", fw.zone},
        {"services", fw.services},
        {"sources", fw.sources},
        {"masquerade", fw.masquerade}}},
      {"findings", std::move(findings)},
  };
}

}  // namespace iptmode
