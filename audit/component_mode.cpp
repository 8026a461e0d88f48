#include "audit/component_mode.h"

#include <fmt/format.h>

#include "audit/wrapper_prediction.h"
#include "core/text.h"

namespace iptmode {
namespace {

bool has_hint_in(const BackendState& b, std::string_view table) {
  for (const auto& h : find_hint_chains(b))
    if (h.table == table) return true;
  return false;
}

ProxyMode parse_proxy_mode(std::string_view s) {
  for (auto m : {ProxyMode::iptables, ProxyMode::ipvs, ProxyMode::nftables})
    if (equals_nocase(s, to_string(m))) return m;
  return ProxyMode::unknown;
}

}  // namespace

std::string_view to_string(ProxyMode m) {
  switch (m) {
    case ProxyMode::iptables:
      return "iptables";
    case ProxyMode::ipvs:
      return "ipvs";
    case ProxyMode::nftables:
      return "nftables";
    case ProxyMode::unknown:
      break;
  }
  return "unknown";
}

Mode felix_auto(const KernelState& k) {
  if (has_hint_in(k.nft, "mangle")) return Mode::nft;
  if (has_hint_in(k.legacy, "mangle")) return Mode::legacy;
  return iptables_rule_count(k.legacy) >= iptables_rule_count(k.nft) ? Mode::legacy : Mode::nft;
}

Mode wrapper_choice(const KernelState& k, bool shell_script) {
  return *predict_wrapper(shell_script ? WrapperKind::sigs_v2 : WrapperKind::sigs_v3, k, {}).mode;
}

std::optional<std::string> env_lookup_nocase(const std::vector<std::string>& environ,
                                             std::string_view key) {
  for (const auto& e : environ) {
    auto eq = e.find('=');
    if (eq != std::string::npos && equals_nocase(std::string_view(e).substr(0, eq), key))
      return e.substr(eq + 1);
  }
  return std::nullopt;
}

std::optional<std::string> kube_proxy_config_path(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].starts_with("--config=")) return argv[i].substr(9);
    if (argv[i] == "--config" && i + 1 < argv.size()) return argv[i + 1];
  }
  return std::nullopt;
}

ProxyMode kube_proxy_mode(const std::vector<std::string>& argv, const std::string& config_text) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    // An empty --proxy-mode is kube-proxy's default, iptables.
    if (argv[i].starts_with("--proxy-mode=") && argv[i].size() > 13)
      return parse_proxy_mode(std::string_view(argv[i]).substr(13));
    if (argv[i] == "--proxy-mode" && i + 1 < argv.size() && !argv[i + 1].empty())
      return parse_proxy_mode(argv[i + 1]);
  }
  // KubeProxyConfiguration: a top-level `mode:` key.
  std::string_view text = config_text;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (!line.starts_with("mode:")) continue;
    std::string_view v = line.substr(5);
    while (!v.empty() && (v.front() == ' ' || v.front() == '"' || v.front() == '\''))
      v.remove_prefix(1);
    while (!v.empty() &&
           (v.back() == ' ' || v.back() == '"' || v.back() == '\'' || v.back() == '\r'))
      v.remove_suffix(1);
    if (!v.empty()) return parse_proxy_mode(v);
  }
  return ProxyMode::iptables;
}

namespace {

// FELIX_IPTABLESBACKEND: the iptables backend Felix uses when it uses iptables.
void felix_backend(const Component& c, const KernelState& k, ComponentMode& m) {
  if (auto v = env_lookup_nocase(c.environ, "FELIX_IPTABLESBACKEND")) {
    const bool nft = equals_nocase(*v, "nft");
    if (nft || equals_nocase(*v, "legacy")) {
      m.mode = nft ? Mode::nft : Mode::legacy;
      m.source = fmt::format("FELIX_IPTABLESBACKEND={}", *v);
      m.wrapper_pending = false;
    } else {
      m.mode = felix_auto(k);
      m.predicted = m.mode;
      m.wrapper_pending = false;  // Felix picks for itself, whatever the image's wrapper would
      m.source = fmt::format("FELIX_IPTABLESBACKEND={}: Felix picks {} on this kernel state", *v,
                             to_string(*m.mode));
    }
  } else if (c.environ.empty()) {
    m.source += "; environment hidden";
  } else {
    m.mode = felix_auto(k);
    m.predicted = m.mode;
    m.wrapper_pending = false;
    m.source =
        fmt::format("FELIX_IPTABLESBACKEND unset (auto): Felix picks {} on this kernel state",
                    to_string(*m.mode));
  }
}

// Felix's NFTablesMode (calico felix/nftables/utils.go Enabled): Enabled is
// the nftables dataplane, Auto is it when kube-proxy's nftables table has
// chains, Disabled is iptables. Unset is the default: Disabled up to v3.31,
// Auto since v3.32 (felix/config/config_params.go at those tags).
void felix_nftables(const Component& c, const KernelState& k, ComponentMode& m) {
  if (c.environ.empty()) return;  // hidden: the iptables reading is all there is
  const bool kp = kube_proxy_nft_tables_present(k);
  const char* kp_says = kp ? "kube-proxy's `ip kube-proxy` table has chains"
                           : "no kube-proxy nftables table with chains";
  const auto v = env_lookup_nocase(c.environ, "FELIX_NFTABLESMODE");
  const auto mode = v ? parse_felix_nft_mode(*v) : std::nullopt;
  if (v && !mode) {
    // Felix's config validation (oneof) rejects it and keeps its default.
    m.note = fmt::format("FELIX_NFTABLESMODE={} is not Enabled, Disabled or Auto", *v);
  }
  if (!mode) {
    if (!kp) {
      m.native_source = fmt::format(
          "FELIX_NFTABLESMODE unset: Disabled (<= v3.31) and Auto (>= v3.32) both mean iptables "
          "here ({})",
          kp_says);
      return;
    }
    m.mode.reset();
    m.predicted.reset();
    m.native_source = fmt::format(
        "FELIX_NFTABLESMODE unset and {}: v3.31 and older (Disabled) write iptables, v3.32 and "
        "newer (Auto) the native calico tables and no iptables; the image's version is not "
        "readable from the node",
        kp_says);
    m.source = m.native_source;
    return;
  }
  const bool native = *mode == FelixNftMode::enabled || (*mode == FelixNftMode::auto_ && kp);
  if (!native) {
    m.native_source =
        fmt::format("FELIX_NFTABLESMODE={}: iptables{}", *v,
                    *mode == FelixNftMode::auto_ ? fmt::format(" ({})", kp_says) : "");
    return;
  }
  m.mode.reset();
  m.predicted.reset();
  m.wrapper_pending = false;
  m.iptables_none = true;
  m.native = calico_nft_tables();
  m.native_source =
      fmt::format("FELIX_NFTABLESMODE={}{}: the nftables dataplane", *v,
                  *mode == FelixNftMode::auto_ ? fmt::format(" and {}", kp_says) : "");
  m.source = m.native_source + ", no iptables";
}

// kube-proxy, on its own or hosted by k3s (whose --kube-proxy-arg values are
// its flags).
void kube_proxy(const Component& c, const ComponentReads& kp, ComponentMode& m) {
  const bool hosted = c.host == "k3s";
  const auto argv = hosted ? k3s_hosted_args(c.argv, "kube-proxy-arg") : c.argv;
  m.proxy_mode = kube_proxy_mode(argv, hosted ? std::string() : kp.config_text);
  m.note = kp.note;
  if (m.proxy_mode != ProxyMode::nftables) return;
  // It writes native nftables tables through `nft`, not iptables.
  m.mode.reset();
  m.predicted.reset();
  m.wrapper_pending = false;
  m.iptables_none = true;
  m.native = kube_proxy_nft_tables();
  m.native_source = hosted ? "k3s --kube-proxy-arg proxy-mode=nftables" : "proxy-mode nftables";
  m.source = m.native_source + ": writes the native `ip kube-proxy` tables, not iptables";
  m.nft_version = kp.nft_version;
}

// kube-router >= v2.11: --use-nftables-for-netpol (default false) moves the
// network policy controller to its own tables; its other controllers keep
// iptables (cloudnativelabs/kube-router pkg/options/options.go, docs/nftables.md).
void kube_router(const Component& c, ComponentMode& m) {
  if (c.host == "k3s") {
    m.native_source = "k3s's embedded network policy controller: iptables";
    return;
  }
  if (!flag_true(c.argv, "use-nftables-for-netpol")) {
    m.native_source = "--use-nftables-for-netpol unset: network policy in iptables";
    return;
  }
  m.native = kube_router_nft_tables();
  m.native_source = "--use-nftables-for-netpol: network policy in native tables";
}

// flanneld: EnableNFTables in its net-conf.json replaces its iptables
// manager with the nftables one (flannel-io/flannel pkg/trafficmngr/nftables).
void flanneld(const ComponentReads& r, ComponentMode& m) {
  std::string why;
  const auto nft =
      r.config_text.empty() ? std::nullopt : flannel_enable_nftables(r.config_text, &why);
  if (!nft) {
    m.note = r.note.empty() ? why : r.note;
    m.native_source = "net-conf.json not read: EnableNFTables unknown";
    return;
  }
  if (!*nft) {
    m.native_source = "EnableNFTables false in net-conf.json: iptables";
    return;
  }
  m.mode.reset();
  m.predicted.reset();
  m.wrapper_pending = false;
  m.iptables_none = true;
  m.native = flannel_nft_tables();
  m.native_source = "EnableNFTables true in net-conf.json";
  m.source = m.native_source + ": native flannel tables, no iptables";
}

// What the binary in its root says: its mode, or a wrapper's prediction.
void iptables_binary(const Component& c, const KernelState& k, const ComponentReads& kp,
                     ComponentMode& m) {
  const auto& info = c.iptables.info;
  if (info && info->mode) {
    m.mode = info->mode;
    m.source = fmt::format("iptables in its root is {}", to_string(info->kind));
  } else if (info && info->kind == BinaryKind::iptables_wrapper) {
    m.wrapper_pending = true;
    m.wrapper = info->wrapper;
    const auto p = predict_wrapper(info->wrapper, k, kp.wrapper);
    m.predicted = p.mode;
    m.wrapper_cannot_relink = kp.wrapper_cannot_relink;
    m.source = p.mode ? fmt::format("iptables-wrapper ({}), not yet run: will pick {} ({})",
                                    to_string(info->wrapper), to_string(*p.mode), p.why)
                      : fmt::format("iptables-wrapper ({}), not yet run: no prediction ({})",
                                    to_string(info->wrapper), p.why);
  } else {
    m.source =
        c.iptables.note.empty() ? "iptables in its root is not an xtables binary" : c.iptables.note;
  }
}

}  // namespace

std::string_view iptables_writes(const ComponentMode& m) {
  if (m.mode) return to_string(*m.mode);
  if (m.iptables_none) return "none";
  if (m.wrapper_pending) return "pending";
  return "unknown";
}

ComponentMode component_mode(const Component& c, const KernelState& k, const ComponentReads& kp) {
  ComponentMode m;
  // Nothing about a process that cannot write the filter, or one whose
  // lookup blew its budget, says how the node's filter is written.
  if (c.inspection != Inspection::done) {
    m.source = c.iptables.note;
    return m;
  }
  iptables_binary(c, k, kp, m);
  if (c.name == "calico-node") {
    felix_backend(c, k, m);
    felix_nftables(c, k, m);
  }
  if (c.name == "kube-proxy" && !c.pids.empty()) kube_proxy(c, kp, m);
  if (c.name == "kube-router") kube_router(c, m);
  if (c.name == "flanneld") flanneld(kp, m);
  if (!c.host.empty() && !c.pids.empty())
    m.source = fmt::format("in {} (pid {}): {}", c.host, c.pids.front(), m.source);
  return m;
}

}  // namespace iptmode
