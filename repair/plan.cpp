#include "repair/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "audit/owners.h"

namespace iptmode::repair {
namespace {

bool is_k8s(std::string_view chain) {
  return is_kubernetes_owner(chain_owner(chain));
}

// A writer in this namespace, or the shim, still on the stale backend.
void refuse_writers(const AuditEvidence& a, Mode stale, std::vector<std::string>& out) {
  const std::string kept(to_string(other(stale)));
  for (const auto& ac : a.components)
    if (ac.c.in_own_netns && ac.how.mode == stale)
      out.push_back(fmt::format(
          "{} (pid {}) still writes {} ({}): move it to {} first (an image whose iptables is "
          "xtables-{}-multi), then repair",
          ac.c.name, ac.c.pids.empty() ? 0 : ac.c.pids.front(), to_string(stale), ac.how.source,
          kept, kept));
  if (a.bin.shim_installed && a.bin.state_mode && *a.bin.state_mode != a.decision.mode)
    out.push_back(fmt::format(
        "the shim in {} dispatches to {} but the node's mode is {}: run `iptmode detect --write "
        "--bin-dir {}` (or fix --mode) first",
        a.bin.dir, to_string(*a.bin.state_mode), to_string(a.decision.mode), a.bin.dir));
}

// Kubernetes chains (hints aside) of a backend's iptables tables, as
// "family table chain".
std::set<std::string> k8s_objects(const BackendState& b) {
  std::set<std::string> out;
  for (const auto& t : b.tables)
    if (is_iptables_table(t))
      for (const auto& c : t.chains)
        if (is_k8s(c.name) && std::none_of(std::begin(kHintChains), std::end(kHintChains),
                                           [&](const char* h) { return c.name == h; }))
          out.insert(fmt::format("{} {} {}", t.family, t.name, c.name));
  return out;
}

void refuse_no_takeover(const AuditEvidence& a, Mode stale, std::vector<std::string>& out) {
  const auto& k = a.ev.kernel;
  const auto in_stale = k8s_objects(stale == Mode::nft ? k.nft : k.legacy);
  const auto in_kept = k8s_objects(stale == Mode::nft ? k.legacy : k.nft);
  if (in_stale.empty() || !in_kept.empty()) return;
  out.push_back(fmt::format(
      "the {} backend holds none of the {} Kubernetes chains that {} has (e.g. {}): the cleanup "
      "would leave the node without its rules; move the writers first, then repair",
      to_string(other(stale)), in_stale.size(), to_string(stale), *in_stale.begin()));
}

// The Kubernetes chains of one table that can go: those no kept user chain
// jumps to, directly or through another Kubernetes chain that must stay.
std::set<std::string> doomed_chains(const SavedTable& t, std::vector<LeftObject>& left,
                                    const std::string& where) {
  std::set<std::string> doomed;
  for (const auto& c : t.chains)
    if (!c.builtin() && is_k8s(c.name)) doomed.insert(c.name);
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& r : t.rules) {
      const SavedChain* from = t.chain(r.chain);
      const bool kept_user = from && !from->builtin() && !doomed.contains(r.chain);
      if (kept_user && doomed.erase(r.target)) {
        left.push_back({fmt::format("{} {}", where, r.target),
                        fmt::format("a chain repair keeps jumps to it: {}", r.text)});
        changed = true;
      }
    }
  }
  return doomed;
}

std::optional<TablePlan> plan_table(const SavedTable& t, const std::string& family, Mode stale,
                                    std::vector<LeftObject>& left) {
  const std::string where = fmt::format("{} {} {}", to_string(stale), family, t.name);
  if (t.incompatible) {
    left.push_back({where, "iptables-nft-save cannot read it back: not written by iptables"});
    return std::nullopt;
  }
  const auto doomed = doomed_chains(t, left, where);
  TablePlan p{family, t.name, {}, {}, false};
  for (const auto& c : t.chains)
    if (doomed.contains(c.name)) p.chains.push_back({c.name, std::string(chain_owner(c.name)), {}});
  std::map<std::string, std::vector<std::string>> others;  // owner -> chains left
  bool only_empty_builtins = true;
  for (const auto& c : t.chains) {
    if (doomed.contains(c.name)) continue;
    if (!c.builtin()) {
      others[std::string(chain_owner(c.name))].push_back(c.name);
      only_empty_builtins = false;
    } else if (c.policy != "ACCEPT") {
      only_empty_builtins = false;
    }
  }
  for (const auto& r : t.rules) {
    if (doomed.contains(r.chain)) {
      for (auto& c : p.chains)
        if (c.name == r.chain) c.rules.push_back(r.text);
    } else if (doomed.contains(r.target)) {
      p.jumps.push_back({r.chain, r.index, t.rule_count(r.chain), r.text, r.target});
    } else {
      only_empty_builtins = false;
    }
  }
  for (const auto& [owner, names] : others)
    left.push_back({fmt::format("{} {}", where, fmt::join(names, " ")),
                    owner == "other"
                        ? "not a Kubernetes writer's (the operator's, or another tool's)"
                        : fmt::format("owned by {}, not a Kubernetes writer", owner)});
  if (p.chains.empty()) return std::nullopt;
  p.delete_table = stale == Mode::nft && only_empty_builtins;
  if (stale == Mode::legacy && only_empty_builtins)
    left.push_back({where, "an x_tables table goes only with its kernel module"});
  return p;
}

}  // namespace

std::size_t Plan::line_count() const {
  std::size_t n = 0;
  for (const auto& t : tables) {
    n += t.jumps.size();
    for (const auto& c : t.chains) n += 1 + c.rules.size();
  }
  return n;
}

Plan make_plan(const AuditEvidence& a, const std::vector<SavedRuleset>& stale) {
  Plan p;
  p.kept = a.decision.mode;
  p.stale = other(p.kept);
  refuse_writers(a, p.stale, p.refusals);
  refuse_no_takeover(a, p.stale, p.refusals);
  for (const auto& rs : stale)
    for (const auto& t : rs.tables)
      if (auto tp = plan_table(t, rs.family, p.stale, p.left)) p.tables.push_back(std::move(*tp));
  if (p.stale == Mode::nft)
    for (const auto& t : a.ev.kernel.nft.tables)
      if (!is_iptables_table(t))
        p.left.push_back({fmt::format("nft {} {}", t.family, t.name),
                          fmt::format("a native nftables table ({}): never touched",
                                      native_table_owner(t.family, t.name))});
  p.left.push_back({fmt::format("the {} backend", to_string(p.kept)),
                    "the kept backend (the node's mode): not touched"});
  return p;
}

}  // namespace iptmode::repair
