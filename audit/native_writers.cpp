#include "audit/native_writers.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "detect/flags.h"

namespace iptmode {

std::string to_string(const NativeTable& t) {
  return fmt::format("{} {}", t.family, t.name);
}

std::string_view to_string(FelixNftMode m) {
  switch (m) {
    case FelixNftMode::disabled:
      return "Disabled";
    case FelixNftMode::enabled:
      return "Enabled";
    case FelixNftMode::auto_:
      break;
  }
  return "Auto";
}

std::optional<FelixNftMode> parse_felix_nft_mode(std::string_view s) {
  for (auto m : {FelixNftMode::disabled, FelixNftMode::enabled, FelixNftMode::auto_})
    if (equals_nocase(s, to_string(m))) return m;
  return std::nullopt;
}

// projectcalico/calico felix/nftables/utils.go KubeProxyNftablesEnabledFn:
// `nft list chains` in table kube-proxy, ip first, then ip6; any chain is yes.
bool kube_proxy_nft_tables_present(const KernelState& k) {
  for (const auto& t : k.nft.tables)
    if ((t.family == "ip" || t.family == "ip6") && t.name == "kube-proxy" && !t.chains.empty())
      return true;
  return false;
}

std::vector<NativeTable> calico_nft_tables() {
  return {{"ip", "calico"}, {"ip6", "calico"}, {"arp", "calico-arp"}};
}
std::vector<NativeTable> kube_proxy_nft_tables() {
  return {{"ip", "kube-proxy"}, {"ip6", "kube-proxy"}};
}
std::vector<NativeTable> kube_router_nft_tables() {
  return {{"ip", "kube-router-filter-ipv4"}, {"ip6", "kube-router-filter-ipv6"}};
}
std::vector<NativeTable> flannel_nft_tables() {
  return {{"ip", "flannel-ipv4"}, {"ip6", "flannel-ipv6"}};
}

std::string flannel_net_conf_path(const std::vector<std::string>& argv) {
  return flag_value(argv, "net-config-path").value_or("/etc/kube-flannel/net-conf.json");
}

std::optional<bool> flannel_enable_nftables(const std::string& text, std::string* why) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    if (why) *why = "net-conf.json is not a JSON object";
    return std::nullopt;
  }
  const auto it = j.find("EnableNFTables");
  if (it == j.end()) return false;
  if (!it->is_boolean()) {
    if (why) *why = "net-conf.json: EnableNFTables is not a boolean";
    return std::nullopt;
  }
  return it->get<bool>();
}

std::vector<std::string> k3s_hosted_args(const std::vector<std::string>& k3s_argv,
                                         std::string_view flag) {
  std::vector<std::string> out{"k3s-hosted"};
  for (std::size_t i = 1; i < k3s_argv.size(); ++i) {
    std::string_view a = k3s_argv[i];
    std::string value;
    if (a.starts_with("--") && a.substr(2).starts_with(flag) &&
        a.substr(2 + flag.size()).starts_with('='))
      value = std::string(a.substr(3 + flag.size()));
    else if (a.starts_with("--") && a.substr(2) == flag && i + 1 < k3s_argv.size())
      value = k3s_argv[++i];
    else
      continue;
    out.push_back(value.starts_with('-') ? value : "--" + value);
  }
  return out;
}

}  // namespace iptmode
