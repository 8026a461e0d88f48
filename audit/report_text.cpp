#include <fmt/format.h>
#include <fmt/ranges.h>

#include "audit/report.h"
#include "audit/report_clean.h"

namespace iptmode {
namespace {

std::string paint(const ReportStyle& s, std::string_view code, std::string_view text) {
  if (!s.color) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string_view color_of(Severity sev) {
  switch (sev) {
    case Severity::error:
      return "1;31";
    case Severity::warning:
      return "1;33";
    case Severity::info:
      return "36";
  }
  return "0";
}

std::string backend_summary(std::string_view label, const BackendState& b) {
  if (!b.available) return fmt::format("  {:<10} unavailable: {}\n", label, b.note);
  std::size_t chains = 0;
  for (const auto& t : b.tables) chains += t.chains.size();
  return fmt::format("  {:<10} {} tables, {} chains, {} iptables rules\n", label, b.tables.size(),
                     chains, to_string(iptables_rules(b)));
}

}  // namespace

std::string audit_text(const AuditEvidence& a, const std::vector<Finding>& f,
                       const ReportStyle& style) {
  std::string out;
  out += fmt::format("mode: {} (decided by {})\n\n", paint(style, "1", to_string(a.decision.mode)),
                     to_string(a.decision.rule));

  out += "components\n";
  if (a.components.empty())
    out += "  none found (kubelet, kube-proxy, kube-router, calico-node, flanneld, k3s)\n";
  else
    out += fmt::format("  {:<12} {:<12} {:<8} {:<8} {:<34} {}\n", "NAME", "PIDS", "BACKEND",
                       "VERSION", "BINARY", "HOW KNOWN");
  for (const auto& ac : a.components) {
    const auto& b = ac.c.iptables;
    std::string backend(iptables_writes(ac.how));
    if (backend == "unknown") backend = "-";
    std::string version = b.info && b.info->version ? to_string(*b.info->version) : "-";
    std::string binary = b.resolved ? b.resolved->path : "-";
    std::string how = ac.how.source;
    if (!ac.how.native.empty()) {
      std::vector<std::string> t;
      t.reserve(ac.how.native.size());
      for (const auto& n : ac.how.native) t.push_back(to_string(n));
      how += fmt::format("; native nftables: {} ({})", fmt::join(t, ", "), ac.how.native_source);
    }
    if (!ac.c.config_files.empty())
      how += fmt::format(" [flags also from {}]", fmt::join(ac.c.config_files, ", "));
    if (!ac.c.config_note.empty()) how += fmt::format(" [{}]", ac.c.config_note);
    if (!ac.c.in_own_netns) how += " [other netns]";
    if (!ac.how.note.empty()) how += fmt::format(" [{}]", ac.how.note);
    if (ac.probe.ran || !ac.probe.output.empty())
      how += fmt::format(" [probe: {}]", ac.probe.output);
    const std::string name = ac.c.host.empty() ? ac.c.name : ac.c.host + "/" + ac.c.name;
    out += fmt::format("  {:<12} {:<12} {:<8} {:<8} {:<34} {}\n", clean(name),
                       fmt::format("{}", fmt::join(ac.c.pids, ",")), backend, version,
                       clean(binary), clean(how));
  }

  out += "\nkernel\n";
  out += backend_summary("nf_tables", a.ev.kernel.nft);
  out += backend_summary("x_tables", a.ev.kernel.legacy);
  if (const auto& h = a.ev.host_iptables; h.info)
    out +=
        fmt::format("  host iptables: {} {} ({})\n", clean(h.resolved ? h.resolved->path : "-"),
                    h.info->version ? to_string(*h.info->version) : "?", to_string(h.info->kind));
  if (a.bin.exists)
    out += fmt::format(
        "  {}: shim {}{}{}\n", clean(a.bin.dir),
        a.bin.shim_installed ? (a.bin.zero_bypass ? "installed (zero-bypass form)" : "installed")
                             : "not installed",
        a.bin.state_mode ? fmt::format(", state {}", to_string(*a.bin.state_mode)) : "",
        a.bin.shim_installed && !a.bin.shim_refusals.empty() ? ", refusing every call" : "");
  if (!a.bin_choice.why.empty() && a.bin_choice.why != "--bin-dir")
    out += fmt::format("  bin dir {}: {}\n", clean(a.bin_choice.dir), clean(a.bin_choice.why));

  out += "\nfindings\n";
  if (f.empty()) out += "  none: every writer agrees\n";
  for (const auto& x : f) {
    out +=
        fmt::format("  {} {}: {}\n",
                    paint(style, color_of(x.severity), fmt::format("{:<7}", to_string(x.severity))),
                    x.code, clean(x.message));
    for (const auto& e : x.evidence)
      if (!e.empty()) out += fmt::format("          - {}\n", clean(e));
    out += fmt::format("          fix: {}\n", clean(x.remedy));
  }
  return out;
}

}  // namespace iptmode
