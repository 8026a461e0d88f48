#include "detect/components.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "detect/credentials.h"
#include "detect/flags.h"
#include "detect/k3s_config.h"
#include "detect/procfs.h"

namespace iptmode {
namespace {

// k3s execs <data-dir>/data/<hash>/bin/k3s-server (or k3s-agent), a link to
// the multicall k3s, keeping its argv: comm says which, else exe or argv[0]
// is k3s with the subcommand server or agent (k3s kubectl is k3s too).
bool is_k3s(const ProcessInfo& p) {
  if (p.comm == "k3s-server" || p.comm == "k3s-agent") return true;
  const bool k3s = (!p.exe.empty() && base_name(p.exe) == "k3s") ||
                   (!p.argv.empty() && base_name(p.argv[0]) == "k3s");
  const std::string sub = first_operand(p.argv);
  return k3s && (sub == "server" || sub == "agent");
}

}  // namespace

bool process_is_named(const ProcessInfo& p, std::string_view name) {
  if (name == "k3s") return is_k3s(p);
  // comm holds at most 15 bytes of the executable's name: for a longer name
  // it only says "maybe", and exe or argv[0] must confirm.
  if (name.size() <= 15 && p.comm == name) return true;
  if (!p.exe.empty() && base_name(p.exe) == name) return true;
  return !p.argv.empty() && base_name(p.argv[0]) == name;
}

std::string_view to_string(Inspection i) {
  switch (i) {
    case Inspection::done:
      return "done";
    case Inspection::over_budget:
      return "over-budget";
    case Inspection::unprivileged:
      return "unprivileged";
  }
  return "done";
}

BinaryEvidence inspect_binary(int root_fd, std::string_view path_var, std::string_view name,
                              Budget* budget) {
  BinaryEvidence ev;
  ev.path_var = std::string(path_var);
  auto found = which_in_root(root_fd, path_var, name, budget);
  if (!found) {
    ev.note = found.error().message;
    ev.over_budget = found.error().errnum == kBudgetErrno;
    return ev;
  }
  ev.resolved = std::move(*found);
  auto fd = open_in_root(root_fd, ev.resolved->path);
  if (!fd) {
    ev.note = fd.error().message;
    return ev;
  }
  auto info = read_binary(fd->get());
  if (!info) {
    ev.note = fmt::format("{}: {}", ev.resolved->path, info.error().message);
    return ev;
  }
  ev.info = *info;
  return ev;
}

std::string k3s_data_dir(const std::vector<std::string>& argv) {
  auto d = flag_value(argv, "data-dir");
  if (!d) d = flag_value(argv, "d");
  return d && !d->empty() ? *d : "/var/lib/rancher/k3s";
}

std::string k3s_path(const std::vector<std::string>& argv, std::string_view host_path) {
  const std::string bin = k3s_data_dir(argv) + "/data/current/bin";
  return flag_true(argv, "prefer-bundled-bin") ? fmt::format("{0}:{0}/aux:{1}", bin, host_path)
                                               : fmt::format("{0}:{1}:{0}/aux", bin, host_path);
}

std::vector<Component> hosted_by_k3s(const Component& k3s) {
  std::vector<std::string> names{"kubelet"};
  if (!flag_true(k3s.argv, "disable-kube-proxy")) names.emplace_back("kube-proxy");
  if (!flag_true(k3s.argv, "disable-network-policy")) names.emplace_back("kube-router");
  if (flag_value(k3s.argv, "flannel-backend").value_or("vxlan") != "none")
    names.emplace_back("flannel");
  std::vector<Component> out;
  for (auto& n : names) {
    Component c = k3s;
    c.name = std::move(n);
    c.host = "k3s";
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

// k3s's flags as k3s itself sees them: its config file's inserted after the
// subcommand (detect/k3s_config.h), read inside its own root.
void apply_k3s_config(int root_fd, const std::string& environ, Component& c) {
  auto cfg = read_k3s_config(root_fd, k3s_config_path(c.argv, environ));
  c.config_files = std::move(cfg.files);
  c.config_note = std::move(cfg.note);
  if (!cfg.flags.empty()) c.argv = k3s_effective_argv(c.argv, cfg.flags);
}

// The first pid of the group that is still there lends its root and PATH.
// False when every pid of it exited mid-scan.
bool inspect_group(int proc_fd, const std::string& proc, Component& c, Budget& scan,
                   const ScanLimits& limits) {
  for (int pid : c.pids) {
    auto env = read_environ(proc_fd, pid);
    if (!env && env.error().errnum == ESRCH) continue;
    std::string path_var(kDefaultPath);
    if (env) {
      c.environ = split_nul(*env);
      if (auto p = env_value(*env, "PATH")) {
        path_var = *p;
        c.path_from_environ = true;
      }
    }
    if (scan.exhausted()) {
      c.iptables.path_var = path_var;
      c.inspection = Inspection::over_budget;
      c.iptables.note = "not inspected: " + scan.why();
      return true;
    }
    auto root = open_root(fmt::format("{}/{}/root", proc, pid));
    if (root && c.name == "k3s") apply_k3s_config(root->get(), env ? *env : std::string(), c);
    // k3s sets this PATH before it execs itself; without its environment,
    // rebuild it from its flags.
    if (c.name == "k3s" && !c.path_from_environ) path_var = k3s_path(c.argv, kDefaultPath);
    c.iptables.path_var = path_var;
    if (!root) {
      if (root.error().errnum == ENOENT || root.error().errnum == ESRCH) continue;
      c.iptables.note = root.error().message;
    } else {
      Budget mine(limits.component_time, limits.component_steps, &scan);
      c.iptables = inspect_binary(root->get(), path_var, "iptables", &mine);
      if (c.iptables.over_budget) c.inspection = Inspection::over_budget;
    }
    if (!env) c.iptables.note += (c.iptables.note.empty() ? "" : "; ") + env.error().message;
    return true;
  }
  return false;
}

}  // namespace

Result<std::vector<Component>> scan_components(const std::vector<std::string>& names,
                                               const std::string& proc, const ScanLimits& limits) {
  auto proc_fd = open_root(proc);
  if (!proc_fd) return std::unexpected(proc_fd.error());
  auto own_net = own_net_ns(proc_fd->get());
  if (!own_net) return std::unexpected(own_net.error());

  // One component per (name, mount namespace, can write), in pid order: a
  // process anyone can start must not lend its PATH to a real component.
  std::map<std::tuple<std::string, std::uint64_t, bool>, Component> groups;
  auto pids = list_pids(proc_fd->get());
  std::sort(pids.begin(), pids.end());
  for (pid_t pid : pids) {
    auto p = read_identity(proc_fd->get(), pid);
    if (!p) continue;  // gone, or a kernel thread we may not read: not a component
    for (const auto& name : names) {
      if (!process_is_named(*p, name)) continue;
      if (!read_namespaces(proc_fd->get(), *p)) break;  // exited mid-scan
      const Privilege priv = read_privilege(proc_fd->get(), pid);
      auto& c = groups[{name, p->mount_ns, priv.can_write}];
      if (c.pids.empty()) {
        c.name = name;
        c.mount_ns = p->mount_ns;
        c.net_ns = p->net_ns;
        c.in_own_netns = p->net_ns == *own_net;
        c.argv = p->argv;
        c.privilege = priv.why;
        if (!priv.can_write) {
          c.inspection = Inspection::unprivileged;
          c.iptables.note =
              fmt::format("unprivileged: cannot write the packet filter ({})", priv.why);
        }
      }
      c.pids.push_back(pid);
      break;
    }
  }

  Budget scan(limits.scan_time, limits.scan_steps);
  std::vector<Component> out;
  for (auto& [key, c] : groups) {
    // Not even its environment is read: nothing about it can matter.
    if (c.inspection != Inspection::unprivileged &&
        !inspect_group(proc_fd->get(), proc, c, scan, limits))
      continue;
    if (c.name == "k3s" && c.inspection != Inspection::unprivileged) {
      for (auto& h : hosted_by_k3s(c)) out.push_back(std::move(h));
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace iptmode
