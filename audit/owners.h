// Who wrote a chain or a native nftables table, by the names each writer
// uses. The names are conventions, not API: an unknown name is "other".
#pragma once

#include <string_view>

namespace iptmode {

// "kubelet", "kube-proxy", "kube-router", "calico", "flannel", "docker",
// "cni-plugins" (CNI-*: containerd's bridge and portmap plugins), "firewalld"
// or "other". k0s's control-plane load balancing writes no chain of its own:
// its one rule sits in nat PREROUTING (a REDIRECT to the userspace proxy, 6444).
std::string_view chain_owner(std::string_view chain);

// For nf_tables tables that iptables did not write: "firewalld" for
// `inet firewalld`, "kube-proxy" for `ip|ip6 kube-proxy` (its nftables mode),
// "kube-router" for `ip kube-router-filter-ipv4` / `ip6 kube-router-filter-ipv6`,
// "flannel" for `ip flannel-ipv4` / `ip6 flannel-ipv6`, "calico" for calico's
// tables (`ip|ip6 calico`, `arp calico-arp`), "cni-plugins" for
// `inet cni_plugins_masquerade` and `ip|ip6 cni_hostport`, "keepalived" for
// `keepalived`, else "other".
std::string_view native_table_owner(std::string_view family, std::string_view table);

// kubelet, kube-proxy, kube-router, calico and flannel: the writers that must agree.
bool is_kubernetes_owner(std::string_view owner);

}  // namespace iptmode
