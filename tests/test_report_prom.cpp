// node_exporter's textfile collector reads the Prometheus text format
// (audit/report_prom.cpp): every family with HELP and TYPE, label values
// escaped, and only success and duration when the audit could not run.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "audit/report.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using namespace test;

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("report prom: could not run: success 0 and the duration, nothing more") {
  CHECK(audit_metrics(nullptr, {}, false, 1.25) ==
        "# HELP iptmode_audit_success Whether the last audit could run (1) or not (0).\n"
        "# TYPE iptmode_audit_success gauge\n"
        "iptmode_audit_success 0\n"
        "# HELP iptmode_audit_duration_seconds How long the last audit took.\n"
        "# TYPE iptmode_audit_duration_seconds gauge\n"
        "iptmode_audit_duration_seconds 1.250000\n");
  // The evidence is not looked at when it could not run.
  const AuditEvidence a = node(Mode::nft);
  CHECK(audit_metrics(&a, {}, false, 0) == audit_metrics(nullptr, {}, false, 0));
}

TEST_CASE("report prom: mode, findings, components and rules") {
  AuditEvidence a = node(Mode::legacy);
  a.decision = decision(Mode::legacy, Rule::rule_count);
  a.components.push_back(component("kube-proxy", 42, Mode::legacy));
  AuditedComponent odd = component("we\"ird\\name\n", 43, Mode::nft);
  odd.how.mode.reset();
  a.components.push_back(odd);
  a.ev.kernel.nft.tables.push_back(table("ip", "filter", {chain("INPUT", 3)}));
  a.ev.kernel.nft.tables.push_back(table("inet", "firewalld", {chain("filter_IN", 50)}));
  a.ev.kernel.legacy.tables.push_back(table("ip6", "nat", {chain("KUBE-SERVICES", 7)}));
  a.ev.kernel.legacy.rules_exact = false;
  const std::vector<Finding> f = {{"MODE_SPLIT", Severity::error, "m", {}, "r"},
                                  {"MODE_SPLIT", Severity::error, "m2", {}, "r"},
                                  {"FIREWALLD", Severity::info, "m", {}, "r"}};
  const std::string m = audit_metrics(&a, f, true, 0.5);
  INFO(m);
  CHECK(
      m.starts_with("# HELP iptmode_audit_success Whether the last audit could run (1) or not "
                    "(0).\n# TYPE iptmode_audit_success gauge\niptmode_audit_success 1\n"));
  CHECK(has_line(m, "iptmode_audit_duration_seconds 0.500000"));
  CHECK(has_line(m, "# TYPE iptmode_mode gauge"));
  CHECK(has_line(m, "iptmode_mode{mode=\"nft\",rule=\"rule-count\"} 0"));
  CHECK(has_line(m, "iptmode_mode{mode=\"legacy\",rule=\"rule-count\"} 1"));
  CHECK(has_line(m, "iptmode_findings{code=\"FIREWALLD\",severity=\"info\"} 1"));
  CHECK(has_line(m, "iptmode_findings{code=\"MODE_SPLIT\",severity=\"error\"} 2"));
  CHECK(has_line(m, "iptmode_findings{code=\"all\",severity=\"error\"} 2"));
  CHECK(has_line(m, "iptmode_findings{code=\"all\",severity=\"warning\"} 0"));
  CHECK(has_line(m, "iptmode_findings{code=\"all\",severity=\"info\"} 1"));
  CHECK(has_line(m,
                 "iptmode_component_backend{component=\"kube-proxy\",mount_ns=\"4026532042\","
                 "backend=\"legacy\"} 1"));
  CHECK(has_line(m,
                 "iptmode_component_backend{component=\"kube-proxy\",mount_ns=\"4026532042\","
                 "backend=\"nft\"} 0"));
  // A name from a container cannot break the format; an unknown mode is 0 for both.
  for (const char* b : {"nft", "legacy"})
    CHECK(has_line(m, std::string("iptmode_component_backend{component=\"we\\\"ird\\\\name\\n\","
                                  "mount_ns=\"4026532043\",backend=\"") +
                          b + "\"} 0"));
  // Native nftables tables do not count; a lower bound says so.
  CHECK(has_line(m, "iptmode_iptables_rules{backend=\"nft\"} 3"));
  CHECK(has_line(m, "iptmode_iptables_rules{backend=\"legacy\"} 7"));
  CHECK(has_line(m, "iptmode_iptables_rules_exact{backend=\"nft\"} 1"));
  CHECK(has_line(m, "iptmode_iptables_rules_exact{backend=\"legacy\"} 0"));
  // Every sample's family has HELP and TYPE before it.
  std::string family;
  std::size_t from = 0;
  while (from < m.size()) {
    const std::string line = m.substr(from, m.find('\n', from) - from);
    from += line.size() + 1;
    if (line.starts_with("# TYPE ")) family = line.substr(7, line.find(' ', 7) - 7);
    if (line.starts_with("#")) continue;
    CAPTURE(line);
    CHECK(line.starts_with(family));
  }
  CHECK(m.ends_with("\n"));
}

}  // namespace iptmode
