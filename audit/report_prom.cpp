#include <map>

#include <fmt/format.h>

#include "audit/report.h"

namespace iptmode {
namespace {

// Label values escape backslash, double quote and newline.
std::string label(std::string_view v) {
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

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string audit_metrics(const AuditEvidence* a, const std::vector<Finding>& f, bool ok,
                          double seconds) {
  std::string out;
  family(out, "iptmode_audit_success", "gauge", "Whether the last audit could run (1) or not (0).");
  out += fmt::format("iptmode_audit_success {}\n", ok ? 1 : 0);
  family(out, "iptmode_audit_duration_seconds", "gauge", "How long the last audit took.");
  out += fmt::format("iptmode_audit_duration_seconds {:.6f}\n", seconds);
  if (!ok || !a) return out;

  family(out, "iptmode_mode", "gauge", "The node's decided iptables mode (1 for the decided one).");
  for (Mode m : {Mode::nft, Mode::legacy})
    out += fmt::format("iptmode_mode{{mode=\"{}\",rule=\"{}\"}} {}\n", to_string(m),
                       to_string(a->decision.rule), m == a->decision.mode ? 1 : 0);

  family(out, "iptmode_findings", "gauge", "Findings of the last audit by code and severity.");
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const auto& x : f) ++counts[{x.code, std::string(to_string(x.severity))}];
  for (const auto& [k, n] : counts)
    out += fmt::format("iptmode_findings{{code=\"{}\",severity=\"{}\"}} {}\n", label(k.first),
                       k.second, n);
  for (Severity s : {Severity::error, Severity::warning, Severity::info}) {
    int n = 0;
    for (const auto& x : f) n += x.severity == s;
    out += fmt::format("iptmode_findings{{code=\"all\",severity=\"{}\"}} {}\n", to_string(s), n);
  }

  family(out, "iptmode_component_backend", "gauge",
         "The iptables backend each component uses (1), per component and mount namespace.");
  for (const auto& ac : a->components)
    for (Mode m : {Mode::nft, Mode::legacy})
      out += fmt::format(
          "iptmode_component_backend{{component=\"{}\",mount_ns=\"{}\",backend=\"{}\"}} {}\n",
          label(ac.c.name), ac.c.mount_ns, to_string(m), ac.how.mode == m ? 1 : 0);

  family(out, "iptmode_iptables_rules", "gauge",
         "iptables rules (ip and ip6 filter/nat/mangle/raw/security) per backend.");
  out += fmt::format("iptmode_iptables_rules{{backend=\"nft\"}} {}\n",
                     iptables_rule_count(a->ev.kernel.nft));
  out += fmt::format("iptmode_iptables_rules{{backend=\"legacy\"}} {}\n",
                     iptables_rule_count(a->ev.kernel.legacy));
  family(out, "iptmode_iptables_rules_exact", "gauge",
         "1 when iptmode_iptables_rules is exact, 0 when it is a lower bound (counting stopped "
         "once it passed the other backend's).");
  for (const auto* b : {&a->ev.kernel.nft, &a->ev.kernel.legacy})
    out += fmt::format("iptmode_iptables_rules_exact{{backend=\"{}\"}} {}\n",
                       b == &a->ev.kernel.nft ? "nft" : "legacy", b->rules_exact ? 1 : 0);
  return out;
}

}  // namespace iptmode
