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

ComponentMode component_mode(const Component& c, const KernelState& k, const ComponentReads& kp) {
  ComponentMode m;
  // Nothing about a process that cannot write the filter, or one whose
  // lookup blew its budget, says how the node's filter is written.
  if (c.inspection != Inspection::done) {
    m.source = c.iptables.note;
    return m;
  }
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

  if (c.name == "calico-node") {
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

  if (c.name == "kube-proxy" && !c.pids.empty()) {
    m.proxy_mode = kube_proxy_mode(c.argv, kp.config_text);
    m.note = kp.note;
    if (m.proxy_mode == ProxyMode::nftables) {
      // It writes native nftables tables through `nft`, not iptables.
      m.mode.reset();
      m.source = "proxy-mode nftables: writes the native `ip kube-proxy` tables, not iptables";
      m.nft_version = kp.nft_version;
    }
  }
  return m;
}

}  // namespace iptmode
