// The pod and service CIDRs that firewalld must let in on a worker.
#pragma once

#include <string>
#include <string_view>

namespace iptmode {

inline constexpr std::string_view kDefaultPodCidr = "10.244.0.0/16";
inline constexpr std::string_view kDefaultServiceCidr = "10.96.0.0/12";

struct ClusterCidrs {
  std::string pod;
  std::string service;
  std::string source;   // "flags", "/etc/k0s/k0s.yaml", "k0s defaults"
  std::string error{};  // why k0s.yaml did not parse; empty when it did
};

// spec.network.podCIDR / serviceCIDR from k0s.yaml text (libyaml). Text that
// is not YAML sets `error` and leaves the fields as they were.
void parse_k0s_yaml(std::string_view text, ClusterCidrs& result);

// Flags first, else <root>/etc/k0s/k0s.yaml, else k0s's defaults.
ClusterCidrs cluster_cidrs(const std::string& host_root, const std::string& pod_flag,
                           const std::string& service_flag);

}  // namespace iptmode
