#include "audit/owners.h"

namespace iptmode {

std::string_view chain_owner(std::string_view c) {
  if (c == "KUBE-IPTABLES-HINT" || c == "KUBE-KUBELET-CANARY" || c == "KUBE-FIREWALL")
    return "kubelet";
  // kube-router's names start with KUBE- too: test them before kube-proxy's.
  if (c.starts_with("KUBE-ROUTER-") || c.starts_with("KUBE-NWPLCY-") ||
      c.starts_with("KUBE-POD-FW-"))
    return "kube-router";
  if (c.starts_with("KUBE-"))
    return "kube-proxy";  // SERVICES, SVC-*, SEP-*, NODEPORTS, MARK-*, PROXY-CANARY...
  if (c.starts_with("cali-")) return "calico";
  if (c.starts_with("FLANNEL-")) return "flannel";  // FLANNEL-POSTRTG, FLANNEL-FWD
  if (c.starts_with("DOCKER")) return "docker";
  // containernetworking/plugins, run by containerd through the k0s bin dir:
  // bridge's ipMasq (CNI-<hash> in nat POSTROUTING), portmap (CNI-HOSTPORT-*,
  // CNI-DN-<hash>), firewall (CNI-FORWARD, CNI-ADMIN).
  if (c.starts_with("CNI-")) return "cni-plugins";
  // firewalld's iptables backend: IN_public, FWDI_public, PRE_public_allow, ...
  for (std::string_view p : {"INPUT_", "FORWARD_", "OUTPUT_", "PREROUTING_", "POSTROUTING_", "IN_",
                             "FWDI_", "FWDO_", "FWD_", "PRE_", "POST_"})
    if (c.starts_with(p)) return "firewalld";
  return "other";
}

std::string_view native_table_owner(std::string_view family, std::string_view table) {
  if (table == "firewalld") return "firewalld";
  const bool ip = family == "ip" || family == "ip6";
  if (ip && table == "kube-proxy") return "kube-proxy";
  // kube-router >= v2.11 --use-nftables-for-netpol (pkg/controllers/netpol/npc_nftables.go).
  if ((family == "ip" && table == "kube-router-filter-ipv4") ||
      (family == "ip6" && table == "kube-router-filter-ipv6"))
    return "kube-router";
  // flannel EnableNFTables (pkg/trafficmngr/nftables/nftables.go).
  if ((family == "ip" && table == "flannel-ipv4") || (family == "ip6" && table == "flannel-ipv6"))
    return "flannel";
  // Felix's nftables dataplane: ip/ip6 calico, arp calico-arp.
  if (table.starts_with("calico")) return "calico";
  // The same plugins' nftables backend (plugins >= 1.5): bridge's ipMasq
  // in `inet cni_plugins_masquerade`, portmap in `ip|ip6 cni_hostport`.
  if (table == "cni_plugins_masquerade" || table == "cni_hostport") return "cni-plugins";
  // A keepalived built with nftables and told to (vrrp_strict, nftables):
  // its table's default name. k0s's own keepalived is built without.
  if (table == "keepalived") return "keepalived";
  return "other";
}

bool is_kubernetes_owner(std::string_view o) {
  return o == "kubelet" || o == "kube-proxy" || o == "kube-router" || o == "calico" ||
         o == "flannel";
}

}  // namespace iptmode
