#include "detect/components.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "detect/procfs.h"

namespace iptmode {
namespace {

bool matches(const ProcessInfo& p, std::string_view name) {
  // comm holds at most 15 bytes of the executable's name: for a longer name
  // it only says "maybe", and exe or argv[0] must confirm.
  if (name.size() <= 15 && p.comm == name) return true;
  if (!p.exe.empty() && base_name(p.exe) == name) return true;
  return !p.argv.empty() && base_name(p.argv[0]) == name;
}

}  // namespace

BinaryEvidence inspect_binary(int root_fd, std::string_view path_var, std::string_view name) {
  BinaryEvidence ev;
  ev.path_var = std::string(path_var);
  auto found = which_in_root(root_fd, path_var, name);
  if (!found) {
    ev.note = found.error().message;
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

Result<std::vector<Component>> scan_components(const std::vector<std::string>& names,
                                               const std::string& proc) {
  auto proc_fd = open_root(proc);
  if (!proc_fd) return std::unexpected(proc_fd.error());
  auto own_net = own_net_ns(proc_fd->get());
  if (!own_net) return std::unexpected(own_net.error());

  // One component per (name, mount namespace), in pid order.
  std::map<std::pair<std::string, std::uint64_t>, Component> groups;
  auto pids = list_pids(proc_fd->get());
  std::sort(pids.begin(), pids.end());
  for (pid_t pid : pids) {
    auto p = read_identity(proc_fd->get(), pid);
    if (!p) continue;  // gone, or a kernel thread we may not read: not a component
    for (const auto& name : names) {
      if (!matches(*p, name)) continue;
      if (!read_namespaces(proc_fd->get(), *p)) break;  // exited mid-scan
      auto& c = groups[{name, p->mount_ns}];
      if (c.pids.empty()) {
        c.name = name;
        c.mount_ns = p->mount_ns;
        c.net_ns = p->net_ns;
        c.in_own_netns = p->net_ns == *own_net;
        c.argv = p->argv;
      }
      c.pids.push_back(pid);
      break;
    }
  }

  std::vector<Component> out;
  for (auto& [key, c] : groups) {
    // The first pid of the group that is still there lends its root and PATH.
    bool inspected = false;
    for (int pid : c.pids) {
      auto env = read_environ(proc_fd->get(), pid);
      if (!env && env.error().errnum == ESRCH) continue;
      std::string path_var(kDefaultPath);
      if (env) {
        c.environ = split_nul(*env);
        if (auto p = env_value(*env, "PATH")) {
          path_var = *p;
          c.path_from_environ = true;
        }
      }
      auto root = open_root(fmt::format("{}/{}/root", proc, pid));
      if (!root) {
        if (root.error().errnum == ENOENT || root.error().errnum == ESRCH) continue;
        c.iptables.path_var = path_var;
        c.iptables.note = root.error().message;
      } else {
        c.iptables = inspect_binary(root->get(), path_var, "iptables");
      }
      if (!env) c.iptables.note += (c.iptables.note.empty() ? "" : "; ") + env.error().message;
      inspected = true;
      break;
    }
    // Every process of the group exited mid-scan.
    if (inspected) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace iptmode
