// The JSON documents tools read: `iptmode audit --json` (audit/report_json.cpp)
// and `iptmode detect --json` (detect/report_json.cpp), built from evidence in
// memory. Keys keep their order (the documents are ordered_json), a backend's
// tables are written by one writer that the audit adds its keys to, and bytes
// that are not UTF-8 cannot make either throw.
#include "audit/report.h"
#include "detect/report_json.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/evidence.h"
#include "tests/support/validate_json.h"

namespace iptmode {
namespace {

using namespace test;
using ojson = nlohmann::ordered_json;

std::vector<std::string> keys(const ojson& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  return out;
}

// A node with an iptables table and a native one in nf_tables.
AuditEvidence tables_node() {
  AuditEvidence a = node(Mode::nft);
  a.ev.kernel.nft.tables.push_back(
      table("ip", "nat", {Chain{"POSTROUTING", true, 1, true}, chain("KUBE-SERVICES", 4)}));
  a.ev.kernel.nft.tables.push_back(
      table("inet", "firewalld", {Chain{"filter_IN", true, {}, true}}));
  a.ev.kernel.legacy.rules_counted = false;
  a.ev.kernel.legacy.unread = {"ip filter"};
  return a;
}

}  // namespace

TEST_CASE("report json: the audit's document, key by key") {
  AuditEvidence a = tables_node();
  a.components.push_back(component("kube-proxy", 42, Mode::nft));
  const std::vector<Finding> f = {
      {"MODE_SPLIT", Severity::error, "two", {"kubelet: nft"}, "pin it"}};
  const std::string text = audit_json(a, f);
  REQUIRE(text.ends_with("}\n"));
  check_schema(text);
  const ojson j = ojson::parse(text);
  CHECK(keys(j) == std::vector<std::string>{"schema", "mode", "rule", "decision", "components",
                                            "kernel", "host", "bin_dir", "firewalld", "findings"});
  CHECK(j.at("schema") == kAuditSchema);
  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "hint");
  CHECK(j.at("decision") == to_json(a.decision));

  const ojson& c = j.at("components").at(0);
  CHECK(
      c.dump() ==
      R"({"name":"kube-proxy","pids":[42],"mount_ns":4026532042,"net_ns":4026531840,)"
      R"("in_audit_netns":true,"binary":"/usr/sbin/xtables-nft-multi","kind":"xtables-nft-multi",)"
      R"("mode":"nft","version":"1.8.9","source":"iptables in its root is xtables-nft-multi",)"
      R"("wrapper_pending":false,"predicted":null,)"
      R"("writes":{"iptables":"nft","native_tables":[],"native_source":""}})");

  // The detector's tables with the audit's keys: "iptables" and each chain's owner, no "base".
  const ojson& nft = j.at("kernel").at("nft");
  CHECK(keys(nft) == std::vector<std::string>{"available", "note", "iptables_rules",
                                              "iptables_rules_exact", "tables"});
  CHECK(nft.at("iptables_rules") == 5);
  CHECK(nft.at("tables").dump() ==
        R"([{"family":"ip","name":"mangle","iptables":true,"chains":[)"
        R"({"name":"KUBE-IPTABLES-HINT","rules":0,"rules_exact":true,"owner":"kubelet"}]},)"
        R"({"family":"ip","name":"nat","iptables":true,"chains":[)"
        R"({"name":"POSTROUTING","rules":1,"rules_exact":true,"owner":"other"},)"
        R"({"name":"KUBE-SERVICES","rules":4,"rules_exact":true,"owner":"kube-proxy"}]},)"
        R"({"family":"inet","name":"firewalld","iptables":false,"chains":[)"
        R"({"name":"filter_IN","rules":null,"rules_exact":true,"owner":"firewalld"}]}])");
  CHECK(j.at("kernel").at("legacy").at("tables").empty());

  // The host's iptables as the detector writes it.
  CHECK(j.at("host").at("iptables") == to_json(a.ev.host_iptables));
  CHECK(j.at("host").at("nft").dump() == R"({"path":null,"version":"1.0.6"})");
  CHECK(j.at("bin_dir").at("path") == "/var/lib/k0s/bin");
  CHECK(j.at("bin_dir").at("state_mode").is_null());
  CHECK(j.at("firewalld").at("backend").is_null());
  CHECK(j.at("findings").dump() ==
        R"([{"code":"MODE_SPLIT","severity":"error","message":"two","evidence":["kubelet: nft"],)"
        R"("remedy":"pin it"}])");
}

TEST_CASE("report json: a probe is written only when one ran or said why not") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kubelet", 1, Mode::nft));
  CHECK_FALSE(ojson::parse(audit_json(a, {})).at("components").at(0).contains("probe"));
  a.components[0].probe = ProbeResult{true, Mode::nft, "iptables v1.8.9 (nf_tables)"};
  check_schema(audit_json(a, {}));
  CHECK(ojson::parse(audit_json(a, {})).at("components").at(0).at("probe").dump() ==
        R"j({"ran":true,"mode":"nft","output":"iptables v1.8.9 (nf_tables)"})j");
}

TEST_CASE("report json: the detector's document and its tables") {
  const AuditEvidence a = tables_node();
  const std::string text = detect_json(a.ev, a.decision);
  REQUIRE(text.ends_with("}\n"));
  check_schema(text);
  const ojson j = ojson::parse(text);
  CHECK(keys(j) ==
        std::vector<std::string>{"schema", "mode", "rule", "reasons", "warnings", "evidence"});
  CHECK(j.at("schema") == kDetectSchema);
  CHECK(j.at("reasons").size() == 5);
  CHECK(j.at("reasons").at(1).dump() ==
        R"({"rule":"hint","decided":true,"says":"nft","text":"reason text for hint"})");
  CHECK(j.at("reasons").at(0).at("says").is_null());
  CHECK(keys(j.at("evidence")) ==
        std::vector<std::string>{"kernel", "host_root", "host_iptables", "components"});
  const ojson& kernel = j.at("evidence").at("kernel");
  CHECK(
      kernel.at("legacy").dump() ==
      R"({"available":true,"note":"","chains_listed":true,"rules_counted":false,"rules_exact":true,)"
      R"("tables":[],)"
      R"("unread":["ip filter"]})");
  CHECK(kernel.at("nft").at("tables").at(1).dump() ==
        R"({"family":"ip","name":"nat","chains":[)"
        R"({"name":"POSTROUTING","base":true,"rules":1,"rules_exact":true},)"
        R"({"name":"KUBE-SERVICES","base":false,"rules":4,"rules_exact":true}]})");
  CHECK(j.at("evidence").at("host_iptables") == to_json(a.ev.host_iptables));
}

TEST_CASE("report json: bytes that are not UTF-8 are replaced, not thrown") {
  AuditEvidence a = node(Mode::nft);
  AuditedComponent ac = component("kube-proxy", 42, Mode::nft);
  ac.c.iptables.resolved = Resolved{"/usr/sbin/\xff\xfe", {}};
  a.components.push_back(ac);
  a.ev.components.push_back(ac.c);
  std::string audit, detect;
  CHECK_NOTHROW(audit = audit_json(a, {}));
  CHECK_NOTHROW(detect = detect_json(a.ev, a.decision));
  for (const std::string& text : {audit, detect}) {
    CHECK(nlohmann::json::accept(text));
    check_schema(text);
    CHECK(text.find("/usr/sbin/\xef\xbf\xbd\xef\xbf\xbd") != std::string::npos);  // U+FFFD twice
  }
}

}  // namespace iptmode
