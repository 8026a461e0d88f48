// node_exporter's textfile collector reads the Prometheus text format
// (audit/report_prom.cpp): every family with HELP and TYPE, label values
// escaped, build info and the run's success, time and duration always (alone
// when the audit could not run), and `promtool check metrics` finds nothing.
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "audit/report.h"
#include "tests/support/evidence.h"
#include "tests/support/run.h"

namespace iptmode {
namespace {

using namespace test;

constexpr const char* kPromtool = "/usr/bin/promtool";

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// What Prometheus's own linter (`promtool check metrics`, Debian's
// prometheus package) says of a textfile: empty when it is clean. Without
// promtool (never under CI=true) the text is not linted and a message says so.
std::string promtool_problems(const std::string& text) {
  if (::access(kPromtool, X_OK) != 0) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") return "promtool is not installed";
    MESSAGE("not linted: no " << kPromtool << " (apt-get install prometheus)");
    return {};
  }
  RunOptions o;
  o.stdin_text = text;
  const RunResult r = run({kPromtool, "check", "metrics"}, o);
  return r.exit_code == 0 ? std::string() : r.out + r.err;
}

void check_promtool(const std::string& text) {
  const std::string problems = promtool_problems(text);
  CHECK_MESSAGE(problems.empty(), "promtool check metrics:\n" << problems << "\non:\n" << text);
}

}  // namespace

constexpr RunMetrics kFailed{false, 1.25, 1764547200.5, "0.1.0"};

TEST_CASE("report prom: could not run: build info and the run's success, time and duration") {
  CHECK(audit_metrics(nullptr, {}, kFailed) ==
        "# HELP iptmode_build_info The iptmode that wrote these metrics (always 1).\n"
        "# TYPE iptmode_build_info gauge\n"
        "iptmode_build_info{version=\"0.1.0\"} 1\n"
        "# HELP iptmode_last_run_success Whether the last audit could run (1) or not (0: only "
        "these run metrics are written).\n"
        "# TYPE iptmode_last_run_success gauge\n"
        "iptmode_last_run_success 0\n"
        "# HELP iptmode_last_run_timestamp_seconds When the last audit ended, in seconds since "
        "the Unix epoch.\n"
        "# TYPE iptmode_last_run_timestamp_seconds gauge\n"
        "iptmode_last_run_timestamp_seconds 1764547200.500\n"
        "# HELP iptmode_last_run_duration_seconds How long the last audit took.\n"
        "# TYPE iptmode_last_run_duration_seconds gauge\n"
        "iptmode_last_run_duration_seconds 1.250000\n");
  // The evidence is not looked at when it could not run.
  const AuditEvidence a = node(Mode::nft);
  CHECK(audit_metrics(&a, {}, kFailed) == audit_metrics(nullptr, {}, kFailed));
  check_promtool(audit_metrics(nullptr, {}, kFailed));
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
  const std::string m = audit_metrics(&a, f, RunMetrics{true, 0.5, 1764547200, "9.9.9"});
  INFO(m);
  CHECK(m.starts_with("# HELP iptmode_build_info "));
  CHECK(has_line(m, "iptmode_build_info{version=\"9.9.9\"} 1"));
  CHECK(has_line(m, "iptmode_last_run_success 1"));
  CHECK(has_line(m, "iptmode_last_run_timestamp_seconds 1764547200.000"));
  CHECK(has_line(m, "iptmode_last_run_duration_seconds 0.500000"));
  CHECK(has_line(m, "# TYPE iptmode_mode gauge"));
  CHECK(has_line(m, "iptmode_mode{mode=\"nft\",rule=\"rule-count\"} 0"));
  CHECK(has_line(m, "iptmode_mode{mode=\"legacy\",rule=\"rule-count\"} 1"));
  // Per code only, under a label that is not Alertmanager's `severity`: a
  // sum() over iptmode_findings counts each finding once.
  CHECK(has_line(m, "iptmode_findings{code=\"FIREWALLD\",level=\"info\"} 1"));
  CHECK(has_line(m, "iptmode_findings{code=\"MODE_SPLIT\",level=\"error\"} 2"));
  CHECK(m.find("code=\"all\"") == std::string::npos);
  CHECK(m.find("severity=") == std::string::npos);
  // The totals per level have a name of their own, each level always there.
  CHECK(has_line(m, "iptmode_findings_by_level{level=\"error\"} 2"));
  CHECK(has_line(m, "iptmode_findings_by_level{level=\"warning\"} 0"));
  CHECK(has_line(m, "iptmode_findings_by_level{level=\"info\"} 1"));
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
  check_promtool(m);
}

}  // namespace iptmode
