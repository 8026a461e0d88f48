#include "audit/gather.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "audit/exec_probe.h"
#include "audit/nft_version.h"
#include "audit/wrapper_prediction.h"
#include "core/fd.h"
#include "detect/config_read.h"
#include "detect/in_root.h"
#include "detect/nft_reader.h"

namespace iptmode {
namespace {

// KubeProxyConfiguration files are a few KiB; what is past this is not read.
constexpr std::size_t kKubeProxyConfigLimit = 64 * 1024;

// What component_mode needs from a component's root: a pending wrapper's
// inputs; kube-proxy's --config file and, in nftables mode, its nft.
ComponentReads read_component_files(const Component& c) {
  ComponentReads r;
  if (c.inspection == Inspection::done && c.iptables.info &&
      c.iptables.info->kind == BinaryKind::iptables_wrapper && !c.iptables.info->mode) {
    r.wrapper = gather_wrapper_inputs(c);
    r.wrapper_cannot_relink = wrapper_cannot_relink(c);
  }
  const bool kube_proxy = c.name == "kube-proxy" && c.host.empty();
  if (!(kube_proxy || c.name == "flanneld") || c.pids.empty() || c.inspection != Inspection::done)
    return r;
  // On top of the scan, bounded as one more component's worth of lookups.
  Budget budget(kComponentTime, kComponentSteps);
  auto root = open_root(fmt::format("/proc/{}/root", c.pids.front()));
  if (!root) return r;  // it exited: its argv is all there is
  if (c.name == "flanneld") {
    const std::string path = flannel_net_conf_path(c.argv);
    if (auto text = read_config_in_root(root->get(), path, kKubeProxyConfigLimit, &budget))
      r.config_text = std::move(text->text);
    else
      r.note = fmt::format("{} not read: {}", path, text.error().message);
    return r;
  }
  if (auto path = kube_proxy_config_path(c.argv)) {
    if (auto text = read_config_in_root(root->get(), *path, kKubeProxyConfigLimit, &budget)) {
      r.config_text = std::move(text->text);
      if (text->truncated)
        r.note = fmt::format("--config {}: longer than {} KiB, only its start was read", *path,
                             kKubeProxyConfigLimit / 1024);
    } else {
      r.note = fmt::format("--config not read: {}", text.error().message);
    }
  }
  if (kube_proxy_mode(c.argv, r.config_text) == ProxyMode::nftables)
    if (auto found = which_in_root(root->get(), c.iptables.path_var, "nft", &budget))
      if (auto fd = open_in_root(root->get(), found->path))
        r.nft_version = read_nft_version(fd->get());
  return r;
}

// As k0s reads it (the host's /proc: the kernel is the host's under --host-root too).
std::string read_osrelease() {
  std::string s;
  if (auto fd = UniqueFd(::open("/proc/sys/kernel/osrelease", O_RDONLY | O_CLOEXEC))) {
    char buf[256];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) s.assign(buf, static_cast<std::size_t>(n));
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool dir_exists(const std::string& host_root, const std::string& dir) {
  auto root = open_root(host_root);
  if (!root) return false;
  auto r = resolve_in_root(root->get(), dir);
  if (!r) return false;
  const std::string rel = r->path == "/" ? "." : r->path.substr(1);
  UniqueFd fd(::openat(root->get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return static_cast<bool>(fd);
}

}  // namespace

BinDirChoice default_bin_dir(const std::string& host_root, const std::vector<Component>& comps) {
  if (dir_exists(host_root, kDefaultBinDir))
    return {kDefaultBinDir, fmt::format("k0s's bin dir {} exists", kDefaultBinDir), false};
  // The data dir of a running k3s, else k3s's default.
  std::string data_dir = k3s_data_dir({});
  std::string whose = "k3s's default data dir";
  for (const auto& c : comps)
    if (c.host == "k3s") {
      data_dir = k3s_data_dir(c.argv);
      whose = fmt::format("the data dir of k3s (pid {})", c.pids.empty() ? 0 : c.pids.front());
      break;
    }
  const std::string bin = data_dir + "/data/current/bin";
  if (dir_exists(host_root, bin))
    return {bin,
            fmt::format("{} does not exist; {} {} does: k3s's bundled bin dir (the shim is k0s's "
                        "only: k3s's iptables is read per component)",
                        kDefaultBinDir, whose, data_dir),
            true};
  return {kDefaultBinDir, fmt::format("k0s's default; no k3s bin dir at {}", bin), false};
}

Result<AuditEvidence> gather_audit(const AuditOptions& opts) {
  PipelineOptions p = opts.detect;
  p.always_count_rules = true;
  p.also_scan = {"firewalld", "k0s"};
  auto det = run_pipeline(p);
  if (!det) return std::unexpected(det.error());
  const std::string& host_root = p.host_root;

  AuditEvidence a;
  a.ev = std::move(det->evidence);
  a.decision = std::move(det->decision);
  a.bin_choice = opts.bin_dir.empty() ? default_bin_dir(host_root, a.ev.components)
                                      : BinDirChoice{opts.bin_dir, "--bin-dir", false};
  a.bin = read_bin_dir(host_root, a.bin_choice.dir);
  for (const auto& c : a.ev.components) {
    AuditedComponent ac{c, component_mode(c, a.ev.kernel, read_component_files(c)), {}};
    // One probe a process: what k3s hosts shares its iptables.
    if (opts.exec_probe && c.iptables.resolved && !c.pids.empty() &&
        (c.host.empty() || c.name == "kubelet"))
      ac.probe = exec_probe(c.pids.front(), c.iptables.resolved->path);
    a.components.push_back(std::move(ac));
  }
  if (auto root = open_root(host_root)) {
    a.host_nft = inspect_binary(root->get(), kDefaultPath, "nft");
    if (a.host_nft.resolved)
      if (auto fd = open_in_root(root->get(), a.host_nft.resolved->path))
        a.host_nft_version = read_nft_version(fd->get());
  }
  bool firewalld_running = false;
  for (auto& c : det->also_found) {
    if (c.name == "firewalld") firewalld_running = true;
    // `k0s worker` or `k0s controller`: the one that stages and relinks.
    if (c.name == "k0s" && !a.k0s && c.argv.size() > 1 &&
        (c.argv[1] == "worker" || c.argv[1] == "controller"))
      a.k0s = std::move(c);
  }
  a.osrelease = read_osrelease();
  if (a.ev.kernel.nft.available) {
    if (auto f = read_foreign_rules(opts.jobs))
      a.foreign = std::move(*f);
    else
      a.foreign.note = f.error().message;
  }
  // k0s compares whole save line counts: where nf_tables was counted only
  // until it passed x_tables' rules, count it to its end on a k0s node. The
  // read above saw every rule of those tables, so a second dump of them all
  // is needed only for a chain made since.
  if (a.bin.exists && !a.bin_choice.k3s && a.ev.kernel.nft.available &&
      !a.ev.kernel.nft.rules_exact && !(a.foreign.read && count_from(a.foreign, a.ev.kernel.nft)))
    if (auto r = count_nft_rules(a.ev.kernel.nft, std::nullopt); !r)
      return std::unexpected(r.error());
  a.firewalld = read_firewalld(host_root, firewalld_running);
  a.role = opts.role;
  a.cidrs = cluster_cidrs(host_root, opts.pod_cidr, opts.service_cidr);
  return a;
}

}  // namespace iptmode
