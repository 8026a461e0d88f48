#include "repair/render.h"

#include <fmt/format.h>

namespace iptmode::repair {

using json = nlohmann::ordered_json;

std::string repair_text(const Plan& p, const Outcome& o) {
  std::string s;
  for (const auto& r : p.refusals) s += fmt::format("refused: {}\n", r);
  s += fmt::format("kept backend: {} (the node's mode); stale backend: {}\n", to_string(p.kept),
                   to_string(p.stale));
  if (p.empty()) s += "nothing to delete: the stale backend holds no Kubernetes object\n";
  for (const auto& t : p.tables) {
    s += fmt::format("\n{} {} {}{}:\n", to_string(p.stale), t.family, t.table,
                     t.delete_table ? " (the table goes too: nothing else is left in it)" : "");
    for (const auto& j : t.jumps) s += fmt::format("  delete rule   {}\n", j.text);
    for (const auto& c : t.chains) {
      s += fmt::format("  delete chain  {} ({}, {} rules)\n", c.name, c.owner, c.rules.size());
      for (const auto& r : c.rules) s += fmt::format("                {}\n", r);
    }
  }
  if (!p.left.empty()) s += "\nleft in place:\n";
  for (const auto& l : p.left) s += fmt::format("  {}: {}\n", l.object, l.reason);
  if (o.dry_run && p.refusals.empty() && !p.empty())
    s += "\ndry run: nothing changed (run with --yes to apply)\n";
  if (o.backup) s += fmt::format("\nbackup: {}.*\n", *o.backup);
  if (o.replans) s += fmt::format("planned again {} time(s): the ruleset changed\n", o.replans);
  if (!o.note.empty()) s += fmt::format("{}\n", o.note);
  if (o.applied) s += fmt::format("applied: {} lines deleted\n", p.line_count());
  if (o.after) {
    s += "\nafter repair, the audit finds:\n";
    if (o.after->empty()) s += "  nothing\n";
    for (const auto& f : *o.after)
      s += fmt::format("  {} {}: {}\n", to_string(f.severity), f.code, f.message);
  }
  return s;
}

json repair_json(const Plan& p, const Outcome& o) {
  json j;
  j["schema"] = kRepairSchema;
  j["kept"] = to_string(p.kept);
  j["stale"] = to_string(p.stale);
  j["dry_run"] = o.dry_run;
  j["refusals"] = p.refusals;
  json tables = json::array();
  for (const auto& t : p.tables) {
    json jt;
    jt["backend"] = to_string(p.stale);
    jt["family"] = t.family;
    jt["table"] = t.table;
    jt["delete_table"] = t.delete_table;
    jt["rules"] = json::array();
    for (const auto& r : t.jumps) jt["rules"].push_back({{"chain", r.chain}, {"rule", r.text}});
    jt["chains"] = json::array();
    for (const auto& c : t.chains)
      jt["chains"].push_back({{"name", c.name}, {"owner", c.owner}, {"rules", c.rules}});
    tables.push_back(std::move(jt));
  }
  j["plan"] = {{"tables", std::move(tables)}, {"left", json::array()}};
  for (const auto& l : p.left)
    j["plan"]["left"].push_back({{"object", l.object}, {"reason", l.reason}});
  j["backup"] = o.backup ? json(*o.backup) : json(nullptr);
  json result;
  result["applied"] = o.applied;
  result["replans"] = o.replans;
  result["note"] = o.note;
  result["findings"] = json::array();
  if (o.after)
    for (const auto& f : *o.after)
      result["findings"].push_back(
          {{"code", f.code}, {"severity", to_string(f.severity)}, {"message", f.message}});
  j["result"] = o.after || o.applied || !o.note.empty() ? result : json(nullptr);
  return j;
}

}  // namespace iptmode::repair
