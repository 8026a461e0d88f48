#include "audit/findings.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "audit/k0s_next_choice.h"
#include "audit/owners.h"
#include "audit/wrapper_prediction.h"
#include "core/known_bad.h"

namespace iptmode {
namespace {

std::string pids(const Component& c) {
  return fmt::format("{}", fmt::join(c.pids, ","));
}

std::string who(const Component& c) {
  return fmt::format("{} (pid {})", c.name, pids(c));
}

// Chain names owned by Kubernetes writers in the backend's iptables tables.
std::set<std::string> k8s_chains(const BackendState& b) {
  std::set<std::string> out;
  for (const auto& t : b.tables)
    if (is_iptables_table(t))
      for (const auto& c : t.chains)
        // Hints alone are HINT_IN_BOTH_BACKENDS, a warning: stale, not traffic-bearing.
        if (is_kubernetes_owner(chain_owner(c.name)) &&
            std::none_of(std::begin(kHintChains), std::end(kHintChains),
                         [&](const char* h) { return c.name == h; }))
          out.insert(fmt::format("{} {} {}", t.family, t.name, c.name));
  return out;
}

void mode_split(const AuditEvidence& a, std::vector<Finding>& out) {
  std::map<Mode, std::vector<std::string>> parties;
  parties[a.decision.mode].push_back(
      fmt::format("the node's mode ({})", to_string(a.decision.rule)));
  // Only iptables writers: one that writes native nftables tables alone
  // (Felix's nftables dataplane, kube-proxy's nftables mode) never splits.
  for (const auto& ac : a.components)
    if (ac.c.in_own_netns && ac.how.mode)
      parties[*ac.how.mode].push_back(fmt::format("{}: {}", who(ac.c), ac.how.source));
  if (a.bin.shim_installed && a.bin.state_mode)
    parties[*a.bin.state_mode].push_back(fmt::format("the shim in {}", a.bin.dir));
  if (parties.size() < 2) return;

  Finding f{"MODE_SPLIT", Severity::error, "", {}, ""};
  std::vector<std::string> odd;
  for (const auto& [mode, list] : parties) {
    for (const auto& p : list) f.evidence.push_back(fmt::format("{}: {}", to_string(mode), p));
    if (mode != a.decision.mode)
      for (const auto& p : list) odd.push_back(p.substr(0, p.find(':')));
  }
  f.message =
      fmt::format("writers on different backends: {} on {}, the node on {}", fmt::join(odd, ", "),
                  to_string(other(a.decision.mode)), to_string(a.decision.mode));
  f.remedy = fmt::format(
      "make every writer use {0}: run the component with an image whose iptables is "
      "xtables-{0}-multi "
      "(calico-node: FELIX_IPTABLESBACKEND={1}), and `iptmode shim install` for kubelet",
      to_string(a.decision.mode), a.decision.mode == Mode::nft ? "NFT" : "Legacy");
  out.push_back(std::move(f));
}

void backends(const AuditEvidence& a, std::vector<Finding>& out) {
  const auto& k = a.ev.kernel;
  auto nft_k8s = k8s_chains(k.nft);
  auto legacy_k8s = k8s_chains(k.legacy);
  if (!nft_k8s.empty() && !legacy_k8s.empty()) {
    Finding f{
        "K8S_CHAINS_IN_BOTH_BACKENDS",
        Severity::error,
        fmt::format("Kubernetes chains in both backends: {} in nf_tables, {} in x_tables",
                    nft_k8s.size(), legacy_k8s.size()),
        {},
        fmt::format(
            "after every writer is on {0}, flush the other backend's Kubernetes chains "
            "(e.g. iptables-{1}-save | grep -v KUBE- | iptables-{1}-restore), or reboot the node",
            to_string(a.decision.mode), to_string(other(a.decision.mode)))};
    int n = 0;
    for (const auto& c : nft_k8s)
      if (n++ < 5) f.evidence.push_back("nf_tables: " + c);
    n = 0;
    for (const auto& c : legacy_k8s)
      if (n++ < 5) f.evidence.push_back("x_tables: " + c);
    out.push_back(std::move(f));
  }

  auto nft_hints = find_hint_chains(k.nft);
  auto legacy_hints = find_hint_chains(k.legacy);
  if (!nft_hints.empty() && !legacy_hints.empty()) {
    Finding f{
        "HINT_IN_BOTH_BACKENDS",
        Severity::warning,
        "kubelet's hint chains are in both backends: tools that look for them disagree",
        {},
        fmt::format(
            "delete the hint chains from the {} backend (iptables-{}) once kubelet runs on {}",
            to_string(other(a.decision.mode)), to_string(other(a.decision.mode)),
            to_string(a.decision.mode))};
    for (const auto& h : nft_hints) f.evidence.push_back("nf_tables: " + to_string(h));
    for (const auto& h : legacy_hints) f.evidence.push_back("x_tables: " + to_string(h));
    out.push_back(std::move(f));
  }

  const bool nft = a.decision.mode == Mode::nft;
  const RuleCount stray = iptables_rules(nft ? k.legacy : k.nft);
  if (stray.n > 0) {
    out.push_back(Finding{
        nft ? "LEGACY_RULES_UNDER_NFT" : "NFT_RULES_UNDER_LEGACY",
        Severity::warning,
        fmt::format("{} iptables rules in {}, the backend not selected: packets traverse them too",
                    to_string(stray), nft ? "x_tables" : "nf_tables"),
        {fmt::format("x_tables {} rules, nf_tables {} rules", to_string(iptables_rules(k.legacy)),
                     to_string(iptables_rules(k.nft)))},
        fmt::format("find their writer (iptables-{}-save shows them) and move it to {}",
                    nft ? "legacy" : "nft", to_string(a.decision.mode))});
  }
}

void shim(const AuditEvidence& a, std::vector<Finding>& out) {
  // The shim is k0s's: k3s's bundled bin dir is read, never a place for it.
  if (!a.bin.exists || a.bin_choice.k3s) return;
  if (!a.bin.shim_installed) {
    Finding f{
        "SHIM_NOT_INSTALLED",
        Severity::warning,
        fmt::format(
            "{} exists but its iptables names are not the shim: kubelet runs whatever k0s linked",
            a.bin.dir),
        {},
        fmt::format("iptmode shim install --bin-dir {}", a.bin.dir)};
    for (const auto& n : a.bin.names)
      f.evidence.push_back(
          fmt::format("{} -> {}", n.name, n.target.value_or(n.present ? "(a file)" : "(missing)")));
    out.push_back(std::move(f));
  }
  if (a.bin.shim_installed && a.bin.state_mode && *a.bin.state_mode != a.decision.mode) {
    out.push_back(Finding{"SHIM_STATE_DRIFT",
                          Severity::warning,
                          fmt::format("the shim dispatches to {} but the evidence now says {} ({})",
                                      to_string(*a.bin.state_mode), to_string(a.decision.mode),
                                      to_string(a.decision.rule)),
                          {a.decision.reasons[static_cast<std::size_t>(a.decision.rule)].text},
                          fmt::format("if {} is right: iptmode detect --write --bin-dir {}",
                                      to_string(a.decision.mode), a.bin.dir)});
  }
  // The shim is there, and would refuse every call: the node's iptables is down.
  if (a.bin.shim_installed)
    for (const auto& why : a.bin.shim_refusals)
      out.push_back(
          Finding{"SHIM_REFUSES",
                  Severity::error,
                  "the shim refuses every iptables call: " + why,
                  {why},
                  why.substr(why.rfind("; ") == std::string::npos ? 0 : why.rfind("; ") + 2)});
  if (a.bin.shim_binary && !a.bin.packaged_shim_differs.empty())
    out.push_back(Finding{
        "SHIM_OUTDATED",
        Severity::warning,
        fmt::format("{}/iptmode-shim differs from the package's {}: the package was upgraded "
                    "and the bin dir still runs the old shim (`iptmode shim watch` copies it on "
                    "its next event; without it nothing does)",
                    a.bin.dir, a.bin.packaged_shim_differs),
        {fmt::format("{}/iptmode-shim", a.bin.dir), a.bin.packaged_shim_differs},
        fmt::format("iptmode shim install --bin-dir {}", a.bin.dir)});
  if (a.bin.shim_installed) {
    const Mode m = a.bin.state_mode.value_or(a.decision.mode);
    for (const auto& b : a.bin.backends)
      if (b.mode == m && !b.info && !b.refused)
        out.push_back(Finding{
            "BACKEND_MISSING",
            Severity::error,
            fmt::format("the shim's {} backend is missing: every iptables call fails",
                        to_string(m)),
            {fmt::format("{}: {}", b.path, b.note)},
            fmt::format("stage xtables-{}-multi in {} (k0s does at its start), or set backend-dir "
                        "in {}/iptmode-shim.conf",
                        to_string(m), a.bin.backend_dir, a.bin.dir)});
  }
}

// A k0s bin dir, as opposed to an empty or unrelated --bin-dir: one of the
// six names or a staged xtables-*-multi is there, or a k0s process runs.
bool k0s_bin_dir(const AuditEvidence& a) {
  if (!a.bin.exists || a.bin_choice.k3s) return false;
  if (a.k0s) return true;
  for (const auto& n : a.bin.names)
    if (n.present) return true;
  for (const auto& b : a.bin.backends)
    if (b.info) return true;
  return false;
}

// k0s #2141 (a name never linked), #2157 (`/var/lib/k0s/bin/iptables: No such
// file`), and a link to a missing xtables-<mode>-multi (--iptables-mode with
// a typo): exec.LookPath skips such a name, so kubelet and the CNI plugins
// fall through to the next `iptables` on their PATH; CPLB's keepalived, which
// runs <bin dir>/iptables by its path, fails.
void bin_names(const AuditEvidence& a, std::vector<Finding>& out) {
  if (!k0s_bin_dir(a)) return;
  for (const auto& n : a.bin.names) {
    if (n.present && n.dangling.empty()) continue;
    const std::string what =
        n.present ? fmt::format("{}/{} -> {} dangles", a.bin.dir, n.name, n.target.value_or("?"))
                  : fmt::format("{}/{} is missing", a.bin.dir, n.name);
    Finding f{"BIN_DIR_NAME_BROKEN",
              Severity::error,
              what + ": kubelet and the CNI plugins run the next `" + n.name +
                  "` on their PATH (the host's), k0s's keepalived fails",
              {what},
              a.bin.shim_binary
                  ? fmt::format("iptmode shim install --bin-dir {}", a.bin.dir)
                  : fmt::format("ln -sfn xtables-{}-multi {}/{} (or restart k0s with a valid "
                                "--iptables-mode)",
                                to_string(a.decision.mode), a.bin.dir, n.name)};
    if (!n.dangling.empty()) f.evidence.push_back(n.dangling);
    out.push_back(std::move(f));
  }
}

// What k0s will link at its next start (audit/k0s_next_choice.h), against
// the node's decision.
void k0s_next(const AuditEvidence& a, std::vector<Finding>& out) {
  if (!k0s_bin_dir(a)) return;
  K0sInputs in{&a.ev.kernel, a.k0s ? a.k0s->argv : std::vector<std::string>{},
               a.k0s ? a.k0s->iptables : a.ev.host_iptables, a.osrelease};
  const K0sChoice c = predict_k0s_choice(in);
  std::vector<std::string> ev{
      a.k0s ? fmt::format("{}: {}", who(*a.k0s), fmt::join(a.k0s->argv, " "))
            : "no k0s process seen: its flags are not known",
      fmt::format("--iptables-mode: {}", c.flag ? (c.flag->empty() ? "\"\"" : *c.flag) : "not set"),
      fmt::format("k0s's step {}: {}", to_string(c.step), c.why)};
  if (c.flag && !k0s_mode_valid(*c.flag)) {
    out.push_back(Finding{
        "K0S_IPTABLES_MODE_INVALID", Severity::error,
        fmt::format("k0s --iptables-mode={} is not nft, legacy or auto: at its next start k0s "
                    "links the iptables names to the missing xtables-{}-multi",
                    *c.flag, *c.flag),
        ev,
        fmt::format("set --iptables-mode={} (or remove it) in k0s's service unit",
                    to_string(a.decision.mode))});
    return;
  }
  if (!c.mode || *c.mode == to_string(a.decision.mode)) return;
  const std::string msg = fmt::format(
      "at its next start k0s will link the iptables names to xtables-{}-multi ({}), the node is "
      "on {}",
      *c.mode, to_string(c.step), to_string(a.decision.mode));
  if (!a.bin.shim_installed) {
    out.push_back(Finding{
        "K0S_NEXT_CHOICE_DIFFERS", Severity::warning, msg + ": kubelet would split the node", ev,
        fmt::format("start k0s with --iptables-mode={} (its service unit), or iptmode shim "
                    "install --bin-dir {}",
                    to_string(a.decision.mode), a.bin.dir)});
    return;
  }
  // The watch puts the shim back only after a quiet period: kubelet's first
  // calls after k0s's relink run k0s's pick (bench/relink_bench.sh).
  out.push_back(Finding{
      "K0S_NEXT_CHOICE_DIFFERS", Severity::warning,
      msg + "; until the watch puts the shim back, kubelet's first calls run it (docs/shim.md, "
            "\"k0s's relink\")",
      ev,
      fmt::format("start k0s with --iptables-mode={} so that its relink agrees with the shim",
                  to_string(a.decision.mode))});
}

// One iptables binary that writes this node's rules.
struct Writer {
  std::string who;    // "kube-proxy (pid 12)", "the host's iptables", the shim's backend
  std::string path;   // the binary, inside its root
  std::string check;  // how a person reads its version by hand
  Mode mode;
  std::optional<Version> v;
};

std::string describe(const Writer& w) {
  return fmt::format("{}: {} iptables-{} {}", w.who, w.path.empty() ? "?" : w.path,
                     to_string(w.mode), w.v ? to_string(*w.v) : "version unknown");
}

std::vector<Writer> writers(const AuditEvidence& a) {
  std::vector<Writer> all;
  auto path = [](const BinaryEvidence& b) { return b.resolved ? b.resolved->path : ""; };
  std::set<int> seen;  // the components k3s hosts share its process and binary
  for (const auto& ac : a.components) {
    const auto& info = ac.c.iptables.info;
    // A native-only writer (iptables none) does not run its iptables.
    if (ac.how.iptables_none || (!ac.c.pids.empty() && !seen.insert(ac.c.pids.front()).second))
      continue;
    if (info && info->mode && ac.c.in_own_netns)
      all.push_back({who(ac.c), path(ac.c.iptables),
                     ac.c.pids.empty()
                         ? std::string("iptables -V")
                         : fmt::format("nsenter -t {} -m iptables -V", ac.c.pids.front()),
                     *info->mode, info->version});
  }
  if (const auto& info = a.ev.host_iptables.info; info && info->mode)
    all.push_back({"the host's iptables", path(a.ev.host_iptables), "iptables -V", *info->mode,
                   info->version});
  if (a.bin.shim_installed)
    for (const auto& b : a.bin.backends)
      if (b.info && b.info->mode)
        all.push_back({b.path, b.path, b.path + " -V", b.mode, b.info->version});
  return all;
}

// Rules read back by 1.8.7 lose their matches: measured on this kernel by
// tests/test_real_roots.cpp ("the skew loses matches").
constexpr std::string_view kSkewLoss =
    "measured: 1.8.7's iptables-nft-save prints kube-proxy's `-A KUBE-POSTROUTING -m mark ! "
    "--mark 0x4000/0x4000 -j RETURN` as `-A KUBE-POSTROUTING -j RETURN` and drops `-m tcp "
    "--dport`; a restore of that output breaks masquerading";

void versions(const AuditEvidence& a, std::vector<Finding>& out) {
  const std::vector<Writer> all = writers(a);
  for (const auto& w : all) {
    if (!w.v) {
      out.push_back(Finding{
          "VERSION_UNKNOWN",
          Severity::info,
          fmt::format("version unknown: skew and known-bad checks could not run for {}", w.who),
          {describe(w),
           "its bytes carry neither \"<version> (<mode>)\" nor a version near "
           "\"%s v%s (<mode>)\" (docs/detect.md, Reading a binary)"},
          fmt::format("read it by hand: `{}`", w.check)});
      continue;
    }
    for (const auto& row : known_bad_for(w.mode, *w.v))
      out.push_back(
          Finding{"VERSION_KNOWN_BAD",
                  Severity::error,
                  fmt::format("{} is iptables {} ({}): {}", w.who, to_string(*w.v),
                              to_string(w.mode), row.problem),
                  {describe(w), std::string(row.source)},
                  fmt::format("upgrade the iptables of {} ({}) to a version outside {}-{}", w.who,
                              w.path, to_string(row.first), to_string(row.last))});
  }

  const Writer* oldest = nullptr;
  const Writer* newest = nullptr;
  for (const auto& w : all) {
    if (w.mode != Mode::nft || !w.v) continue;
    if (!oldest || *w.v < *oldest->v) oldest = &w;
    if (!newest || *newest->v < *w.v) newest = &w;
  }
  if (oldest && newest && nft_reader_misreads(*oldest->v, *newest->v))
    out.push_back(Finding{
        "VERSION_SKEW",
        Severity::error,
        fmt::format("{} (iptables-nft {}) misreads rules written by {} (iptables-nft {})",
                    oldest->who, to_string(*oldest->v), newest->who, to_string(*newest->v)),
        {"reader: " + describe(*oldest), "writer: " + describe(*newest), std::string(kSkewLoss),
         std::string(kNftSkewSource)},
        fmt::format("upgrade the iptables of {} ({}) to iptables-nft >= 1.8.8, e.g. an image on "
                    "Debian bookworm or later",
                    oldest->who, oldest->path)});

  for (const auto& ac : a.components)
    if (ac.c.in_own_netns && ac.how.proxy_mode == ProxyMode::nftables && ac.how.nft_version &&
        a.host_nft_version && *a.host_nft_version < *ac.how.nft_version)
      out.push_back(Finding{
          "NFT_VERSION_SKEW",
          Severity::warning,
          fmt::format("{} runs nft {}, newer than the host's nft {}: `nft list ruleset` on the "
                      "host may misread its tables",
                      who(ac.c), to_string(*ac.how.nft_version), to_string(*a.host_nft_version)),
          {},
          fmt::format("install nftables >= {} on the host", to_string(*ac.how.nft_version))});
}

// A component the scan did not read: named, never counted as a writer.
void not_inspected(const AuditedComponent& ac, std::vector<Finding>& out) {
  if (ac.c.inspection == Inspection::unprivileged)
    out.push_back(Finding{
        "COMPONENT_UNPRIVILEGED",
        Severity::info,
        fmt::format("{} is named like a writer but cannot write the packet filter; not counted",
                    who(ac.c)),
        {ac.c.iptables.note},
        "none needed; if it is a real component, it lacks CAP_NET_ADMIN and its rules fail"});
  if (ac.c.inspection == Inspection::over_budget)
    out.push_back(Finding{
        "COMPONENT_NOT_INSPECTED",
        Severity::warning,
        fmt::format("{}: its iptables lookup was stopped by the scan's budget; its backend and "
                    "version are unknown",
                    who(ac.c)),
        {ac.c.iptables.note, "PATH " + ac.c.iptables.path_var.substr(0, 200)},
        "find out why its PATH or root takes so long to search (a symlink maze planted by "
        "whoever started it?); stop the process if it is not a real component"});
}

// A pending wrapper that cannot be predicted, or cannot relink.
void wrapper(const AuditEvidence& a, const AuditedComponent& ac, std::vector<Finding>& out) {
  const std::string path = ac.c.iptables.resolved ? ac.c.iptables.resolved->path : "";
  const std::string mode(to_string(a.decision.mode));
  const std::string pin = fmt::format(
      "pin the image's iptables to xtables-{0}-multi (no wrapper), or create kubelet's hint in "
      "{0} before it starts",
      mode);
  if (ac.c.in_own_netns && !ac.how.predicted)
    out.push_back(Finding{"WRAPPER_UNPREDICTABLE",
                          Severity::warning,
                          fmt::format("{}'s iptables is a wrapper whose choice iptmode cannot "
                                      "predict ({})",
                                      who(ac.c), to_string(ac.how.wrapper)),
                          {path, ac.how.source},
                          pin});
  if (!ac.how.wrapper_cannot_relink) return;
  const bool fails = relink_failure_breaks_calls(ac.how.wrapper);
  out.push_back(Finding{
      "WRAPPER_CANNOT_RELINK",
      fails ? Severity::error : Severity::warning,
      fmt::format("{}'s iptables-wrapper ({}) cannot relink, its root is read-only: {}", who(ac.c),
                  to_string(ac.how.wrapper), relink_failure_effect(ac.how.wrapper)),
      {path, "a link on the way to it is in a directory on a read-only mount"},
      pin});
}

void components(const AuditEvidence& a, std::vector<Finding>& out) {
  std::set<int> seen;  // one process, one set of findings (k3s hosts several components)
  for (const auto& ac : a.components) {
    if (!ac.c.pids.empty() && !seen.insert(ac.c.pids.front()).second) continue;
    not_inspected(ac, out);
    if (ac.c.inspection == Inspection::unprivileged) continue;
    if (!ac.c.in_own_netns)
      out.push_back(
          Finding{"COMPONENT_NOT_IN_HOST_NETNS",
                  Severity::info,
                  fmt::format("{} runs in another network namespace; its rules are not this node's",
                              who(ac.c)),
                  {fmt::format("net_ns {}", ac.c.net_ns)},
                  "none needed; audit inside its namespace to check it"});
    // The prediction reads this namespace's kernel state: it says nothing
    // about a component in another one.
    if (ac.how.wrapper_pending) wrapper(a, ac, out);
    if (ac.c.in_own_netns && ac.how.wrapper_pending && ac.how.predicted)
      out.push_back(Finding{
          "WRAPPER_PENDING",
          *ac.how.predicted == a.decision.mode ? Severity::info : Severity::warning,
          fmt::format(
              "{}'s iptables-wrapper ({}) has not chosen yet; on this state it will pick {}",
              who(ac.c), to_string(ac.how.wrapper), to_string(*ac.how.predicted)),
          {ac.c.iptables.resolved ? ac.c.iptables.resolved->path : "", ac.how.source},
          *ac.how.predicted == a.decision.mode
              ? std::string("none needed")
              : fmt::format("create kubelet's hint in {} first (it decides the wrapper), or "
                            "pin the image's iptables to xtables-{}-multi",
                            to_string(a.decision.mode), to_string(a.decision.mode))});
    if (ac.probe.ran && ac.probe.mode && ac.how.mode && *ac.probe.mode != *ac.how.mode)
      out.push_back(
          Finding{"PROBE_DISAGREES",
                  Severity::warning,
                  fmt::format("{}: its iptables -V says {}, the static reading said {}", who(ac.c),
                              to_string(*ac.probe.mode), to_string(*ac.how.mode)),
                  {ac.probe.output},
                  "trust the probe; report the binary to the iptmode developers"});
  }
}

void firewalld(const AuditEvidence& a, std::vector<Finding>& out) {
  const auto& fw = a.firewalld;
  if (!fw.config_found) return;
  const FirewallBackend backend = fw.backend.value_or(FirewallBackend::nftables);
  const Mode fw_mode = backend == FirewallBackend::iptables ? Mode::legacy : Mode::nft;
  if (fw_mode != a.decision.mode && (fw.running || a.role != Role::none))
    out.push_back(Finding{
        "FIREWALLD_BACKEND_MISMATCH",
        fw.running ? Severity::error : Severity::warning,
        fmt::format("firewalld uses FirewallBackend={} ({}), the node's writers {}",
                    to_string(backend), to_string(fw_mode), to_string(a.decision.mode)),
        {"/etc/firewalld/firewalld.conf"},
        fmt::format("set FirewallBackend={} in /etc/firewalld/firewalld.conf and restart firewalld",
                    a.decision.mode == Mode::nft ? "nftables" : "iptables")});
  if (a.role == Role::none) return;
  auto has = [&](std::string_view s, const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  std::vector<std::string> missing;
  const bool controller = a.role == Role::controller || a.role == Role::controller_worker;
  const bool worker = a.role == Role::worker || a.role == Role::controller_worker;
  if (controller && !has("k0s-controller", fw.services))
    missing.emplace_back("service k0s-controller");
  if (worker && !has("k0s-worker", fw.services)) missing.emplace_back("service k0s-worker");
  if (worker && !fw.masquerade) missing.emplace_back("masquerade");
  if (worker && !has(a.cidrs.pod, fw.sources)) missing.push_back("source " + a.cidrs.pod);
  if (worker && !has(a.cidrs.service, fw.sources)) missing.push_back("source " + a.cidrs.service);
  if (missing.empty()) return;
  std::vector<std::string> fixes;
  for (const auto& m : missing) {
    if (m.starts_with("service "))
      fixes.push_back("--add-service=" + m.substr(8));
    else if (m == "masquerade")
      fixes.emplace_back("--add-masquerade");
    else
      fixes.push_back("--add-source=" + m.substr(7));
  }
  out.push_back(
      Finding{"FIREWALLD_SERVICE_MISSING",
              Severity::warning,
              fmt::format("firewalld zone {} lacks {}", fw.zone, fmt::join(missing, ", ")),
              {fmt::format("zone {}: services [{}], sources [{}], masquerade {}", fw.zone,
                           fmt::join(fw.services, " "), fmt::join(fw.sources, " "), fw.masquerade),
               fmt::format("CIDRs from {}", a.cidrs.source)},
              fmt::format("firewall-cmd --permanent --zone={} {} && firewall-cmd --reload", fw.zone,
                          fmt::join(fixes, " "))});
}

// Who probably put a native rule there: the chain's writer by name (it
// writes natively too, or a library does it for it), calico by its "cali:"
// comments; nothing in a rule names the nft CLI.
std::string foreign_writer(const ForeignRule& r) {
  if (r.comment.starts_with("cali:")) return "calico (its cali: comment)";
  const std::string_view owner = chain_owner(r.chain);
  if (owner != "other") return fmt::format("{} (by the chain name {})", owner, r.chain);
  return "unknown: a native nft writer (nft CLI or a library)";
}

std::string foreign_line(const ForeignRule& r) {
  std::string where = r.handle
                          ? fmt::format("{} {} {} handle {}", r.family, r.table, r.chain, *r.handle)
                          : fmt::format("{} {} chain {}", r.family, r.table, r.chain);
  std::string line = fmt::format("{}: {} -> {}: {}; writer: {}", where, r.verdict.expr,
                                 to_string(r.verdict.outcome), r.verdict.why, foreign_writer(r));
  if (!r.comment.empty()) line += fmt::format("; comment \"{}\"", r.comment);
  return line;
}

constexpr std::size_t kForeignLines = 20;

// One finding per table: iptables-nft's reading of a table is as bad as its
// worst rule or chain.
void foreign_rules(const AuditEvidence& a, std::vector<Finding>& out) {
  std::map<std::pair<std::string, std::string>, std::vector<const ForeignRule*>> tables;
  for (const auto& r : a.foreign.found) tables[{r.family, r.table}].push_back(&r);
  for (const auto& [key, rules] : tables) {
    const auto& [family, table] = key;
    Readback worst = Readback::ok;
    for (const auto* r : rules) worst = std::max(worst, r->verdict.outcome);
    static constexpr std::string_view kWhat[] = {
        "", "iptables-nft-save prints it without a match or verdict the kernel applies",
        "iptables-nft-save fails on it (exit 3, \"Parsing nftables rule failed\")",
        "iptables-nft-save leaves the whole table out (\"is incompatible, use 'nft' tool\") and "
        "iptables -L fails"};
    Finding f{"FOREIGN_RULE",
              Severity::error,
              fmt::format("{} {} holds {} rule(s) or chain(s) written natively that iptables-nft "
                          "1.8.9 cannot read back: {}; a save/restore cycle (kube-proxy, "
                          "iptables-nft-restore) then breaks or rewrites them",
                          family, table, rules.size(), kWhat[static_cast<int>(worst)]),
              {},
              fmt::format("move the native rules into a table of their own (nft add table {0} "
                          "<name>, with its own base chain) and delete them from {0} {1}: "
                          "`nft delete rule {0} {1} <chain> handle <handle>` (a chain: `nft "
                          "delete chain {0} {1} <chain>` once empty)",
                          family, table)};
    for (std::size_t i = 0; i < rules.size() && i < kForeignLines; ++i)
      f.evidence.push_back(foreign_line(*rules[i]));
    if (rules.size() > kForeignLines)
      f.evidence.push_back(fmt::format("and {} more", rules.size() - kForeignLines));
    out.push_back(std::move(f));
  }
  if (!a.foreign.note.empty())
    out.push_back(Finding{"FOREIGN_RULES_NOT_READ",
                          Severity::info,
                          "the iptables tables' rules could not be read to look for native rules",
                          {a.foreign.note},
                          "run the audit as root in the node's network namespace"});
}

}  // namespace

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "info";
  }
  return "error";
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "error") return Severity::error;
  if (s == "warning") return Severity::warning;
  if (s == "info") return Severity::info;
  return std::nullopt;
}

std::vector<Finding> find_problems(const AuditEvidence& a) {
  std::vector<Finding> out;
  mode_split(a, out);
  backends(a, out);
  shim(a, out);
  bin_names(a, out);
  k0s_next(a, out);
  versions(a, out);
  components(a, out);
  firewalld(a, out);
  foreign_rules(a, out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& x, const Finding& y) {
    return x.severity != y.severity ? x.severity < y.severity : x.code < y.code;
  });
  return out;
}

bool reaches(const std::vector<Finding>& f, Severity fail_on) {
  return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.severity <= fail_on; });
}

}  // namespace iptmode
