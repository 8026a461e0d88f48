#include "cli/cmd_monitor.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "audit/findings.h"
#include "audit/gather.h"
#include "audit/report.h"
#include "cli/exit_codes.h"
#include "monitor/loop.h"
#include "monitor/render.h"

namespace iptmode::cli {
namespace {

int could_not_run(const std::string& message) {
  fmt::print(stderr, "iptmode: monitor: {}\n", message);
  return kExitError;
}

std::string decision_line(const Decision& d) {
  std::string why;
  for (const auto& r : d.reasons)
    if (r.decided) why = r.text;
  return fmt::format("decision: {} ({}): {}", to_string(d.mode), to_string(d.rule), why);
}

std::string strip_newline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

int run_monitor(const MonitorCliOptions& opts) {
  monitor::MonitorOptions m;
  m.interval = std::chrono::milliseconds(static_cast<long>(opts.interval * 1000));
  if (opts.netlink_rcvbuf > 0) m.rcvbuf = opts.netlink_rcvbuf;
  m.prometheus = opts.prometheus;
  // Subscribed before the start's read: nothing written meanwhile is missed.
  auto mon = monitor::Monitor::open(m);
  if (!mon) return could_not_run(mon.error().message);

  AuditOptions a;
  a.detect.mode = opts.mode;
  a.detect.config = opts.config;
  a.detect.host_root = opts.host_root;
  a.bin_dir = opts.bin_dir;
  auto ev = gather_audit(a);
  if (!ev) return could_not_run(ev.error().message);
  const auto findings = find_problems(*ev);

  auto emit = [&](const monitor::Event& e) {
    const std::string line = opts.json ? monitor::event_json(e) : monitor::event_text(e);
    (void)std::fwrite(line.data(), 1, line.size(), stdout);
    (void)std::fflush(stdout);  // a pipe's reader waits on each line
  };
  monitor::Event start;
  start.kind = monitor::EventKind::start;
  start.time_us = monitor::now_us();
  start.mode = ev->decision.mode;
  start.text = decision_line(ev->decision);
  emit(start);
  start.text = "audit: " + strip_newline(npd_line(*ev, findings, Severity::warning));
  emit(start);

  monitor::Baseline base;
  base.mode = ev->decision.mode;
  base.nft = ev->ev.kernel.nft;
  base.legacy = ev->ev.kernel.legacy;
  for (auto n : kDefaultComponents) base.component_names.emplace_back(n);
  // The config's `components =` names, as far as the start found them.
  for (const auto& c : ev->ev.components)
    if (std::ranges::find(base.component_names, c.name) == base.component_names.end())
      base.component_names.push_back(c.name);
  base.components = ev->ev.components;
  if (auto r = mon->run(base, emit); !r) return could_not_run(r.error().message);
  return kExitOk;
}

}  // namespace iptmode::cli
