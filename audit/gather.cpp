#include "audit/gather.h"

#include <algorithm>

#include "audit/exec_probe.h"
#include "detect/in_root.h"

namespace iptmode {

Result<AuditEvidence> gather_audit(const AuditOptions& opts) {
  AuditEvidence a;
  GatherOptions g;
  g.host_root = opts.host_root;
  g.always_count_rules = true;
  for (auto n : kDefaultComponents) g.component_names.emplace_back(n);
  for (const auto& n : opts.extra_components) g.component_names.push_back(n);
  // firewalld rides along on the same /proc scan, then leaves the list.
  g.component_names.emplace_back("firewalld");
  auto ev = gather_evidence(g);
  if (!ev) return std::unexpected(ev.error());
  a.ev = std::move(*ev);

  bool firewalld_running = false;
  std::erase_if(a.ev.components, [&](const Component& c) {
    if (c.name != "firewalld") return false;
    firewalld_running = true;
    return true;
  });

  a.decision = decide(a.ev, opts.override_mode);
  a.bin = read_bin_dir(opts.host_root, opts.bin_dir);
  for (const auto& c : a.ev.components) {
    AuditedComponent ac{c, component_mode(c, a.ev.kernel), {}};
    if (opts.exec_probe && c.iptables.resolved && !c.pids.empty())
      ac.probe = exec_probe(c.pids.front(), c.iptables.resolved->path);
    a.components.push_back(std::move(ac));
  }
  if (auto root = open_root(opts.host_root)) {
    a.host_nft = inspect_binary(root->get(), kDefaultPath, "nft");
    if (a.host_nft.resolved)
      if (auto fd = open_in_root(root->get(), a.host_nft.resolved->path))
        a.host_nft_version = read_nft_version(fd->get());
  }
  a.firewalld = read_firewalld(opts.host_root, firewalld_running);
  a.role = opts.role;
  a.cidrs = cluster_cidrs(opts.host_root, opts.pod_cidr, opts.service_cidr);
  return a;
}

}  // namespace iptmode
