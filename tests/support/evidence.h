// Evidence built in memory for unit tests: kernel tables, binaries, a
// decision as decide() makes it, and an audited node and component. Each
// builder makes the plainest state of its kind; tests change what they test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_evidence.h"
#include "detect/decide.h"
#include "detect/evidence.h"

namespace iptmode::test {

inline Chain chain(std::string name, std::uint64_t rules = 0) {
  return Chain{std::move(name), false, rules};
}
inline Table table(std::string family, std::string name, std::vector<Chain> chains) {
  return Table{std::move(family), std::move(name), std::move(chains)};
}
// An available backend whose rules were counted.
inline BackendState backend(std::vector<Table> tables = {}) {
  BackendState b;
  b.rules_counted = true;
  b.tables = std::move(tables);
  return b;
}
inline KernelState kernel(std::vector<Table> nft, std::vector<Table> legacy) {
  return KernelState{backend(std::move(nft)), backend(std::move(legacy))};
}

// kubelet's hint chain in ip mangle.
inline Table hint_table() {
  return table("ip", "mangle", {chain("KUBE-IPTABLES-HINT")});
}

// A decision as decide() makes it: all five reasons in order, `rule` deciding.
inline Decision decision(Mode m, Rule rule = Rule::hint) {
  Decision d;
  d.mode = m;
  d.rule = rule;
  for (Rule r : {Rule::override_mode, Rule::hint, Rule::rule_count, Rule::host_binary,
                 Rule::kernel_default}) {
    const bool decided = r == rule;
    d.reasons.push_back(Reason{r, decided, decided ? std::optional<Mode>(m) : std::nullopt,
                               "reason text for " + std::string(to_string(r))});
  }
  return d;
}

inline BinaryInfo xtables(Mode m, Version v) {
  return BinaryInfo{
      m == Mode::nft ? BinaryKind::xtables_nft_multi : BinaryKind::xtables_legacy_multi, m, v,
      false};
}

inline std::string xtables_path(Mode m) {
  return "/usr/sbin/xtables-" + std::string(to_string(m)) + "-multi";
}

// A node whose kernel and decision agree on `m` (a hint in that backend), the
// host's iptables 1.8.9 of the same mode, no bin dir, no firewalld.
inline AuditEvidence node(Mode m) {
  AuditEvidence a;
  a.ev.kernel.nft =
      backend(m == Mode::nft ? std::vector<Table>{hint_table()} : std::vector<Table>{});
  a.ev.kernel.legacy =
      backend(m == Mode::legacy ? std::vector<Table>{hint_table()} : std::vector<Table>{});
  a.ev.host_iptables.resolved = Resolved{xtables_path(m), {}};
  a.ev.host_iptables.info = xtables(m, {1, 8, 9});
  a.decision = decision(m);
  a.bin.dir = "/var/lib/k0s/bin";
  a.host_nft_version = Version{1, 0, 6};
  a.cidrs = {"10.244.0.0/16", "10.96.0.0/12", "k0s defaults"};
  return a;
}

// A component whose iptables is an xtables binary of `m` at version `v`.
inline AuditedComponent component(std::string name, int pid, Mode m, Version v = {1, 8, 9},
                                  bool in_netns = true) {
  AuditedComponent ac;
  ac.c.name = std::move(name);
  ac.c.pids = {pid};
  ac.c.mount_ns = 4026532000u + static_cast<unsigned>(pid);
  ac.c.net_ns = in_netns ? 4026531840u : 4026539999u;
  ac.c.in_own_netns = in_netns;
  ac.c.iptables.resolved = Resolved{xtables_path(m), {}};
  ac.c.iptables.info = xtables(m, v);
  ac.how.mode = m;
  ac.how.source = "iptables in its root is " + xtables_path(m).substr(10);
  return ac;
}

// kube-proxy in nftables mode: it writes with its own nft (at `nft`), so its
// iptables binary says nothing of its mode.
inline AuditedComponent nftables_kube_proxy(int pid, Version nft, bool in_netns = true) {
  AuditedComponent kp = component("kube-proxy", pid, Mode::nft, {1, 8, 9}, in_netns);
  kp.how.mode.reset();
  kp.how.proxy_mode = ProxyMode::nftables;
  kp.how.nft_version = nft;
  return kp;
}

}  // namespace iptmode::test
