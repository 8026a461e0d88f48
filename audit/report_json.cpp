#include "detect/report_json.h"
#include "audit/owners.h"
#include "audit/report.h"

namespace iptmode {

using json = nlohmann::ordered_json;

namespace {

// The detector's tables, with whether each is one of iptables' and who owns
// each chain (by the chain's name in iptables tables, by the table's in
// native ones); no "base".
json backend_json(const BackendState& b) {
  TableKeys keys;
  keys.chain_base = false;
  keys.table = [](const Table& t, json& out) { out["iptables"] = is_iptables_table(t); };
  keys.chain = [](const Table& t, const Chain& c, json& out) {
    out["owner"] = std::string(is_iptables_table(t) ? chain_owner(c.name)
                                                    : native_table_owner(t.family, t.name));
  };
  return {{"available", b.available},
          {"note", b.note},
          {"iptables_rules", iptables_rule_count(b)},
          {"iptables_rules_exact", b.rules_exact},
          {"tables", tables_json(b.tables, keys)}};
}

}  // namespace

std::string audit_json(const AuditEvidence& a, const std::vector<Finding>& f) {
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
              {"mode", optional_string(ac.how.mode)},
              {"version", b.info ? optional_string(b.info->version) : json()},
              {"source", ac.how.source},
              {"wrapper_pending", ac.how.wrapper_pending},
              {"predicted", optional_string(ac.how.predicted)}};
    json native = json::array();
    for (const auto& n : ac.how.native) native.push_back({{"family", n.family}, {"name", n.name}});
    c["writes"] = {{"iptables", std::string(iptables_writes(ac.how))},
                   {"native_tables", std::move(native)},
                   {"native_source", ac.how.native_source}};
    if (!ac.c.host.empty()) c["host"] = ac.c.host;
    if (!ac.c.config_files.empty()) c["config_files"] = ac.c.config_files;
    if (!ac.c.config_note.empty()) c["config_note"] = ac.c.config_note;
    if (ac.how.wrapper_pending) c["wrapper"] = std::string(to_string(ac.how.wrapper));
    if (ac.how.proxy_mode) c["proxy_mode"] = std::string(to_string(*ac.how.proxy_mode));
    if (!ac.how.note.empty()) c["note"] = ac.how.note;
    if (ac.how.nft_version) c["nft_version"] = to_string(*ac.how.nft_version);
    if (ac.probe.ran || !ac.probe.output.empty())
      c["probe"] = {{"ran", ac.probe.ran},
                    {"mode", optional_string(ac.probe.mode)},
                    {"output", ac.probe.output}};
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
                      {"version", s.info ? optional_string(s.info->version) : json()},
                      {"note", s.note}});
  json findings = json::array();
  for (const auto& x : f)
    findings.push_back({{"code", x.code},
                        {"severity", std::string(to_string(x.severity))},
                        {"message", x.message},
                        {"evidence", x.evidence},
                        {"remedy", x.remedy}});
  const auto& fw = a.firewalld;
  return json_text({
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
          {"version", optional_string(a.host_nft_version)}}}}},
      {"bin_dir",
       {{"path", a.bin.dir},
        {"chosen_by", a.bin_choice.why},
        {"k3s", a.bin_choice.k3s},
        {"exists", a.bin.exists},
        {"shim_installed", a.bin.shim_installed},
        {"zero_bypass", a.bin.zero_bypass},
        {"names", std::move(names)},
        {"backend_dir", a.bin.backend_dir},
        {"backends", std::move(staged)},
        {"state_mode", optional_string(a.bin.state_mode)},
        {"state_note", a.bin.state_note},
        {"shim_refusals", a.bin.shim_refusals}}},
      {"firewalld",
       {{"config_found", fw.config_found},
        {"running", fw.running},
        {"backend", fw.backend ? json(std::string(to_string(*fw.backend))) : json()},
        {"zone", fw.zone},
        {"services", fw.services},
        {"sources", fw.sources},
        {"masquerade", fw.masquerade},
        {"note", fw.note}}},
      {"findings", std::move(findings)},
  });
}

}  // namespace iptmode
