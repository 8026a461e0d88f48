// Who wrote a chain or a native nftables table, by the names each writer uses.
#include <doctest/doctest.h>

#include <string_view>

#include "audit/owners.h"

namespace iptmode {

TEST_CASE("audit owners: kube-router's KUBE- chains are kube-router's, not kube-proxy's") {
  for (std::string_view c : {"KUBE-ROUTER-INPUT", "KUBE-ROUTER-FORWARD", "KUBE-ROUTER-OUTPUT",
                             "KUBE-NWPLCY-7ZQ2KXJ4", "KUBE-NWPLCY-DEFAULT", "KUBE-POD-FW-ABCDEF"}) {
    CAPTURE(c);
    CHECK(chain_owner(c) == "kube-router");
  }
}

TEST_CASE("audit owners: kube-proxy's chains") {
  for (std::string_view c :
       {"KUBE-SVC-ERIFXISQEP7F7OF4", "KUBE-SEP-AWXKJFKBRSHYCFIX", "KUBE-MARK-MASQ", "KUBE-SERVICES",
        "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-PROXY-CANARY", "KUBE-EXT-XYZ",
        "KUBE-FORWARD"}) {
    CAPTURE(c);
    CHECK(chain_owner(c) == "kube-proxy");
  }
}

TEST_CASE("audit owners: kubelet's hint, canary and firewall chains") {
  CHECK(chain_owner("KUBE-IPTABLES-HINT") == "kubelet");
  CHECK(chain_owner("KUBE-KUBELET-CANARY") == "kubelet");
  CHECK(chain_owner("KUBE-FIREWALL") == "kubelet");
}

TEST_CASE("audit owners: calico, docker, firewalld and the rest") {
  CHECK(chain_owner("cali-FORWARD") == "calico");
  CHECK(chain_owner("cali-x") == "calico");
  CHECK(chain_owner("DOCKER-USER") == "docker");
  CHECK(chain_owner("DOCKER") == "docker");
  CHECK(chain_owner("DOCKER-ISOLATION-STAGE-1") == "docker");
  for (std::string_view c :
       {"IN_public", "IN_public_allow", "FWDI_public", "FWDO_public", "FWD_public",
        "PRE_public_allow", "POST_public", "INPUT_direct", "FORWARD_direct", "OUTPUT_direct",
        "PREROUTING_ZONES", "POSTROUTING_ZONES"}) {
    CAPTURE(c);
    CHECK(chain_owner(c) == "firewalld");
  }
  // The built-in chains and anything unrecognised.
  for (std::string_view c : {"INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING", "my-chain",
                             "CALI-upper", "kube-lower", ""}) {
    CAPTURE(c);
    CHECK(chain_owner(c) == "other");
  }
}

TEST_CASE("audit owners: native nftables tables") {
  CHECK(native_table_owner("inet", "firewalld") == "firewalld");
  CHECK(native_table_owner("ip", "kube-proxy") == "kube-proxy");
  CHECK(native_table_owner("ip6", "kube-proxy") == "kube-proxy");
  CHECK(native_table_owner("inet", "kube-proxy") == "other");
  CHECK(native_table_owner("ip", "calico-filter") == "calico");
  CHECK(native_table_owner("inet", "calico") == "calico");
  CHECK(native_table_owner("ip", "filter") == "other");
  CHECK(native_table_owner("inet", "my-table") == "other");
}

TEST_CASE("audit owners: containerd's CNI plugins through the k0s bin dir") {
  // bridge with ipMasq: CNI-<hash of the container id>; portmap; firewall.
  for (std::string_view c : {"CNI-5f1c2e8b0a6d9e7f3c4b2a10", "CNI-HOSTPORT-DNAT",
                             "CNI-HOSTPORT-SNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK",
                             "CNI-DN-5f1c2e8b0a6d9e7f3c4b2", "CNI-FORWARD", "CNI-ADMIN"}) {
    CAPTURE(c);
    CHECK(chain_owner(c) == "cni-plugins");
  }
  // Not a prefix match on "CNI" alone, and the plugins are not a Kubernetes
  // writer whose backend must match kubelet's (they follow the bin dir's name).
  CHECK(chain_owner("CNIX") == "other");
  CHECK_FALSE(is_kubernetes_owner("cni-plugins"));
  CHECK(native_table_owner("inet", "cni_plugins_masquerade") == "cni-plugins");
  CHECK(native_table_owner("ip", "cni_hostport") == "cni-plugins");
  CHECK(native_table_owner("ip6", "cni_hostport") == "cni-plugins");
}

TEST_CASE("audit owners: k0s control-plane load balancing has no chain; keepalived's table") {
  // CPLB's REDIRECT to 6444 is a rule in the built-in nat PREROUTING: the
  // chain's name says nothing about it.
  CHECK(chain_owner("PREROUTING") == "other");
  CHECK(native_table_owner("inet", "keepalived") == "keepalived");
}

TEST_CASE("audit owners: the Kubernetes writers that must agree") {
  for (std::string_view o : {"kubelet", "kube-proxy", "kube-router", "calico"}) {
    CAPTURE(o);
    CHECK(is_kubernetes_owner(o));
  }
  for (std::string_view o : {"docker", "firewalld", "other", ""}) {
    CAPTURE(o);
    CHECK_FALSE(is_kubernetes_owner(o));
  }
  // Every owner chain_owner names is either a Kubernetes writer or not, consistently.
  CHECK(is_kubernetes_owner(chain_owner("KUBE-NWPLCY-x")));
  CHECK(is_kubernetes_owner(chain_owner("cali-x")));
  CHECK_FALSE(is_kubernetes_owner(chain_owner("IN_public")));
}

}  // namespace iptmode

namespace iptmode {

// Issue 11: the native tables of each writer's nftables mode, by the names
// their code uses (docs/audit.md gives the sources).
TEST_CASE("audit owners: native nftables tables of kube-proxy, kube-router, flannel, calico") {
  CHECK(native_table_owner("ip", "kube-proxy") == "kube-proxy");
  CHECK(native_table_owner("ip6", "kube-proxy") == "kube-proxy");
  CHECK(native_table_owner("ip", "kube-router-filter-ipv4") == "kube-router");
  CHECK(native_table_owner("ip6", "kube-router-filter-ipv6") == "kube-router");
  CHECK(native_table_owner("ip", "flannel-ipv4") == "flannel");
  CHECK(native_table_owner("ip6", "flannel-ipv6") == "flannel");
  CHECK(native_table_owner("ip", "calico") == "calico");
  CHECK(native_table_owner("ip6", "calico") == "calico");
  CHECK(native_table_owner("arp", "calico-arp") == "calico");
  CHECK(native_table_owner("inet", "firewalld") == "firewalld");
  // A family the writer does not use is not its table.
  CHECK(native_table_owner("ip6", "kube-router-filter-ipv4") == "other");
  CHECK(native_table_owner("inet", "flannel-ipv4") == "other");
  CHECK(native_table_owner("inet", "kube-proxy") == "other");
  CHECK(chain_owner("FLANNEL-POSTRTG") == "flannel");
  CHECK(chain_owner("FLANNEL-FWD") == "flannel");
  CHECK(is_kubernetes_owner("flannel"));
}

}  // namespace iptmode
