// The native nftables tables each component writes, and the settings that
// switch it from iptables to them: Felix's NFTablesMode, kube-router's
// --use-nftables-for-netpol, flannel's EnableNFTables, and k3s's flags for
// the components it hosts. Pure: the files are read by the audit's gather.
// docs/audit.md, "What each component writes", names the upstream source of
// every rule here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/flags.h"
#include "detect/kernel.h"

namespace iptmode {

struct NativeTable {
  std::string family;  // ip, ip6, inet, arp
  std::string name;
  bool operator==(const NativeTable&) const = default;
};
std::string to_string(const NativeTable& t);  // "ip calico"

// Felix's NFTablesMode (FELIX_NFTABLESMODE, any case).
enum class FelixNftMode { disabled, enabled, auto_ };
std::string_view to_string(FelixNftMode m);  // "Disabled", "Enabled", "Auto"
std::optional<FelixNftMode> parse_felix_nft_mode(std::string_view s);

// Felix Auto's test: kube-proxy's `ip kube-proxy` table (else `ip6
// kube-proxy`) exists and has chains.
bool kube_proxy_nft_tables_present(const KernelState& k);

// The tables each writer creates in its nftables mode.
std::vector<NativeTable> calico_nft_tables();       // ip calico, ip6 calico, arp calico-arp
std::vector<NativeTable> kube_proxy_nft_tables();   // ip kube-proxy, ip6 kube-proxy
std::vector<NativeTable> kube_router_nft_tables();  // ip/ip6 kube-router-filter-ipv4/ipv6
std::vector<NativeTable> flannel_nft_tables();      // ip flannel-ipv4, ip6 flannel-ipv6

// flanneld's --net-config-path (default /etc/kube-flannel/net-conf.json).
std::string flannel_net_conf_path(const std::vector<std::string>& argv);
// `EnableNFTables` in flannel's net-conf.json; unset when the text is not
// JSON (then `why` says so). Absent: false, flannel's default.
std::optional<bool> flannel_enable_nftables(const std::string& text, std::string* why);

// k3s passes `--kube-proxy-arg=proxy-mode=nftables` (and `--kubelet-arg`, ...)
// to the component it hosts: those values as that component's own flags
// (`--proxy-mode=nftables`).
std::vector<std::string> k3s_hosted_args(const std::vector<std::string>& k3s_argv,
                                         std::string_view flag);

}  // namespace iptmode
