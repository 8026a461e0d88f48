#include "monitor/render.h"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audit/report_clean.h"

namespace iptmode::monitor {

std::string format_time(std::int64_t time_us) {
  const std::time_t secs = static_cast<std::time_t>(time_us / 1000000);
  std::tm tm{};
  (void)::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, time_us % 1000000);
}

namespace {

std::string where(const Event& e) {
  std::string s = fmt::format("{} {}", e.family, clean(e.table));
  if (!e.chain.empty()) s += " " + clean(e.chain);
  return s;
}

std::string writer_text(const Writer& w) {
  if (w.pid == 0) return "unattributed";
  std::string s = fmt::format("pid={} comm={}", w.pid, clean(w.comm.empty() ? "?" : w.comm));
  s += fmt::format(" component={}", w.component.empty() ? "-" : w.component);
  if (!w.via.empty()) s += fmt::format(" ({})", w.via);
  if (w.mount_ns != 0) s += fmt::format(" mnt={}", w.mount_ns);
  if (!w.root.empty() && w.root != "/") s += fmt::format(" root={}", clean(w.root));
  if (w.exited) s += " exited";
  return s;
}

}  // namespace

std::string event_text(const Event& e) {
  const std::string t = format_time(e.time_us);
  if (e.kind != EventKind::write)
    return fmt::format("{} {} {}\n", t, to_string(e.kind), clean(e.text));
  std::string rules;
  if (e.rules_added > 0) rules += fmt::format(" +{}", e.rules_added);
  if (e.rules_deleted > 0) rules += fmt::format(" -{}", e.rules_deleted);
  std::string gen = e.generation ? fmt::format(" gen={}", *e.generation) : "";
  std::string foreign;
  if (e.foreign)
    foreign = fmt::format(" ({} of them {}: {})", e.foreign_rules, to_string(e.foreign->outcome),
                          clean(e.foreign->expr));
  return fmt::format("{} write {} {} {}{}{} by {} via {} verdict={}{}\n", t, to_string(e.backend),
                     where(e), to_string(e.op), rules, gen, writer_text(e.writer),
                     to_string(e.source), to_string(e.verdict), foreign);
}

std::string event_json(const Event& e) {
  using nlohmann::json;
  json j{{"schema", kMonitorSchema},
         {"time", format_time(e.time_us)},
         {"time_us", e.time_us},
         {"event", to_string(e.kind)},
         {"mode", to_string(e.mode)}};
  if (e.kind != EventKind::write) {
    j["text"] = e.text;
    if (e.nft_rules) j["nft_rules"] = *e.nft_rules;
    if (e.legacy_rules) j["legacy_rules"] = *e.legacy_rules;
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  const Writer& w = e.writer;
  j.update({{"backend", to_string(e.backend)},
            {"family", e.family},
            {"table", e.table},
            {"chain", e.chain.empty() ? json(nullptr) : json(e.chain)},
            {"operation", to_string(e.op)},
            {"rules_added", e.rules_added},
            {"rules_deleted", e.rules_deleted},
            {"iptables_table", e.iptables_table},
            {"foreign", e.foreign ? json{{"expr", e.foreign->expr},
                                         {"outcome", to_string(e.foreign->outcome)},
                                         {"why", e.foreign->why},
                                         {"rules", e.foreign_rules}}
                                  : json(nullptr)},
            {"generation", e.generation ? json(*e.generation) : json(nullptr)},
            {"source", to_string(e.source)},
            {"pid", w.pid == 0 ? json(nullptr) : json(w.pid)},
            {"comm", w.pid == 0 ? json(nullptr) : json(w.comm)},
            {"exe", w.exe.empty() ? json(nullptr) : json(w.exe)},
            {"component", w.component.empty() ? json(nullptr) : json(w.component)},
            {"component_via", w.via.empty() ? json(nullptr) : json(w.via)},
            {"mount_ns", w.mount_ns == 0 ? json(nullptr) : json(w.mount_ns)},
            {"root", w.root.empty() ? json(nullptr) : json(w.root)},
            {"exited", w.exited},
            {"verdict", to_string(e.verdict)}});
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace iptmode::monitor
