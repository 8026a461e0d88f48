// Who wrote a chain or a native nftables table, by the names each writer
// uses. The names are conventions, not API: an unknown name is "other".
#pragma once

#include <string_view>

namespace iptmode {

// "kubelet", "kube-proxy", "kube-router", "calico", "docker", "cni-plugins"
// (CNI-*: containerd's bridge and portmap plugins), "firewalld" or "other".
// k0s's control-plane load balancing writes no chain of its own: its one
// rule sits in nat PREROUTING (a REDIRECT to the userspace proxy, 6444).
std::string_view chain_owner(std::string_view chain);

// For nf_tables tables that iptables did not write: "firewalld" for
// `inet firewalld`, "kube-proxy" for `ip|ip6 kube-proxy` (its nftables mode),
// "calico" for calico's tables, "cni-plugins" for `inet cni_plugins_masquerade`
// and `ip|ip6 cni_hostport`, "keepalived" for `keepalived`, else "other".
std::string_view native_table_owner(std::string_view family, std::string_view table);

// kubelet, kube-proxy, kube-router and calico: the writers that must agree.
bool is_kubernetes_owner(std::string_view owner);

}  // namespace iptmode
