#include <array>
#include <map>

#include <fmt/format.h>

#include "audit/prom_label.h"
#include "audit/report.h"

namespace iptmode {
namespace {

void family(std::string& out, std::string_view name, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
}

void run_metrics(std::string& out, const RunMetrics& run) {
  family(out, "iptmode_build_info", "The iptmode that wrote these metrics (always 1).");
  out += fmt::format("iptmode_build_info{{version=\"{}\"}} 1\n", prom_label(run.version));
  family(out, "iptmode_last_run_success",
         "Whether the last audit could run (1) or not (0: only these run metrics are written).");
  out += fmt::format("iptmode_last_run_success {}\n", run.ok ? 1 : 0);
  family(out, "iptmode_last_run_timestamp_seconds",
         "When the last audit ended, in seconds since the Unix epoch.");
  out += fmt::format("iptmode_last_run_timestamp_seconds {:.3f}\n", run.finished_at);
  family(out, "iptmode_last_run_duration_seconds", "How long the last audit took.");
  out += fmt::format("iptmode_last_run_duration_seconds {:.6f}\n", run.seconds);
}

// One series per code (its level a label), and the count per level, always
// all three, under its own name: sum() over iptmode_findings counts each
// finding once.
void findings(std::string& out, const std::vector<Finding>& f) {
  family(out, "iptmode_findings", "Findings of the last audit per code (level: its severity).");
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const auto& x : f) ++counts[{x.code, std::string(to_string(x.severity))}];
  for (const auto& [k, n] : counts)
    out += fmt::format("iptmode_findings{{code=\"{}\",level=\"{}\"}} {}\n", prom_label(k.first),
                       k.second, n);
  family(out, "iptmode_findings_by_level",
         "Findings of the last audit per level, 0 included (the sum of iptmode_findings).");
  for (Severity s : {Severity::error, Severity::warning, Severity::info}) {
    int n = 0;
    for (const auto& x : f) n += x.severity == s;
    out += fmt::format("iptmode_findings_by_level{{level=\"{}\"}} {}\n", to_string(s), n);
  }
}

void kernel(std::string& out, const KernelState& k) {
  const std::array<std::pair<const char*, const BackendState*>, 2> backends = {
      {{"nft", &k.nft}, {"legacy", &k.legacy}}};
  family(out, "iptmode_iptables_rules",
         "iptables rules (ip and ip6 filter/nat/mangle/raw/security) per backend.");
  for (const auto& [name, b] : backends)
    out +=
        fmt::format("iptmode_iptables_rules{{backend=\"{}\"}} {}\n", name, iptables_rule_count(*b));
  family(out, "iptmode_iptables_rules_exact",
         "1 when iptmode_iptables_rules is exact, 0 when it is a lower bound (counting stopped "
         "once it passed the other backend's).");
  for (const auto& [name, b] : backends)
    out += fmt::format("iptmode_iptables_rules_exact{{backend=\"{}\"}} {}\n", name,
                       b->rules_exact ? 1 : 0);
}

}  // namespace

std::string prom_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string audit_metrics(const AuditEvidence* a, const std::vector<Finding>& f,
                          const RunMetrics& run) {
  std::string out;
  run_metrics(out, run);
  if (!run.ok || !a) return out;

  family(out, "iptmode_mode", "The node's decided iptables mode (1 for the decided one).");
  for (Mode m : {Mode::nft, Mode::legacy})
    out += fmt::format("iptmode_mode{{mode=\"{}\",rule=\"{}\"}} {}\n", to_string(m),
                       to_string(a->decision.rule), m == a->decision.mode ? 1 : 0);
  findings(out, f);
  family(out, "iptmode_component_backend",
         "The iptables backend each component uses (1), per component and mount namespace.");
  for (const auto& ac : a->components)
    for (Mode m : {Mode::nft, Mode::legacy})
      out += fmt::format(
          "iptmode_component_backend{{component=\"{}\",mount_ns=\"{}\",backend=\"{}\"}} {}\n",
          prom_label(ac.c.name), ac.c.mount_ns, to_string(m), ac.how.mode == m ? 1 : 0);
  kernel(out, a->ev.kernel);
  return out;
}

}  // namespace iptmode
