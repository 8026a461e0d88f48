#include "audit/component_mode.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "audit/wrapper_prediction.h"
#include "core/text.h"
#include "detect/file_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

bool has_hint_in(const BackendState& b, std::string_view table) {
  for (const auto& h : find_hint_chains(b))
    if (h.table == table) return true;
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

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
  const std::string want = lower(key);
  for (const auto& e : environ) {
    auto eq = e.find('=');
    if (eq != std::string::npos && lower(std::string_view(e).substr(0, eq)) == want)
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

std::string kube_proxy_mode(const std::vector<std::string>& argv, const std::string& config_text) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    // An empty --proxy-mode is kube-proxy's default, iptables.
    if (argv[i].starts_with("--proxy-mode=") && argv[i].size() > 13)
      return lower(argv[i].substr(13));
    if (argv[i] == "--proxy-mode" && i + 1 < argv.size() && !argv[i + 1].empty())
      return lower(argv[i + 1]);
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
    if (!v.empty()) return lower(v);
  }
  return "iptables";
}

std::optional<Version> read_nft_version(int fd) {
  std::string prev;
  char buf[1 << 16];
  std::size_t total = 0;
  while (total < 64u * 1024 * 1024) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
    std::string window = prev + std::string(buf, static_cast<std::size_t>(n));
    for (std::size_t at = 0; (at = window.find('\0', at)) != std::string::npos; ++at) {
      std::size_t end = window.find('\0', at + 1);
      if (end == std::string::npos) break;
      std::string_view s(window.data() + at + 1, end - at - 1);
      if (s.size() >= 5 && s.size() <= 12 && std::isdigit(static_cast<unsigned char>(s.front())) &&
          std::count(s.begin(), s.end(), '.') == 2 && std::all_of(s.begin(), s.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
          }))
        if (auto v = parse_version(s)) return v;
    }
    prev = window.substr(window.size() > 16 ? window.size() - 16 : 0);
  }
  return std::nullopt;
}

ComponentMode component_mode(const Component& c, const KernelState& k, const std::string& proc) {
  ComponentMode m;
  // Nothing about a process that cannot write the filter, or one whose
  // lookup blew its budget, says how the node's filter is written.
  if (c.inspection != Inspection::done) {
    m.source = c.iptables.note;
    return m;
  }
  // What is read here on top of the scan (kube-proxy's config, its nft) is
  // bounded as one more component's worth of lookups.
  Budget budget(kComponentTime, kComponentSteps);
  const auto& info = c.iptables.info;
  if (info && info->mode) {
    m.mode = info->mode;
    m.source = fmt::format("iptables in its root is {}", to_string(info->kind));
  } else if (info && info->kind == BinaryKind::iptables_wrapper) {
    m.wrapper_pending = true;
    m.wrapper = info->wrapper;
    const auto p = predict_wrapper(info->wrapper, k, gather_wrapper_inputs(c, proc));
    m.predicted = p.mode;
    m.wrapper_cannot_relink = wrapper_cannot_relink(c, proc);
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
      const std::string b = lower(*v);
      if (b == "nft" || b == "legacy") {
        m.mode = parse_mode(b);
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
    std::string config_text;
    if (auto path = kube_proxy_config_path(c.argv)) {
      if (auto root = open_root(fmt::format("{}/{}/root", proc, c.pids.front()))) {
        if (auto r = resolve_in_root(root->get(), *path, &budget))
          if (auto fd = open_in_root(root->get(), r->path)) {
            char buf[64 * 1024];
            ssize_t n = ::read(fd->get(), buf, sizeof buf);
            if (n > 0) config_text.assign(buf, static_cast<std::size_t>(n));
          }
      }
    }
    m.proxy_mode = kube_proxy_mode(c.argv, config_text);
    if (m.proxy_mode == "nftables") {
      // It writes native nftables tables through `nft`, not iptables.
      m.mode.reset();
      m.source = "proxy-mode nftables: writes the native `ip kube-proxy` tables, not iptables";
      if (auto root = open_root(fmt::format("{}/{}/root", proc, c.pids.front())))
        if (auto found = which_in_root(root->get(), c.iptables.path_var, "nft", &budget))
          if (auto fd = open_in_root(root->get(), found->path))
            m.nft_version = read_nft_version(fd->get());
    }
  }
  return m;
}

}  // namespace iptmode
