#include "monitor/attribution.h"

#include <fcntl.h>

#include <charconv>

#include <fmt/format.h>

#include "detect/in_root.h"

namespace iptmode::monitor {

pid_t parse_ppid(std::string_view stat) {
  // "PID (comm) S PPID ...": comm may hold spaces and parentheses.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || close + 4 >= stat.size()) return 0;
  std::string_view rest = stat.substr(close + 4);  // past ") S "
  pid_t ppid = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
  return ec == std::errc{} ? ppid : 0;
}

namespace {

std::string read_stat(int proc_fd, pid_t pid) {
  UniqueFd fd(::openat(proc_fd, fmt::format("{}/stat", pid).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  char buf[1024];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

pid_t read_ppid(int proc_fd, pid_t pid) {
  return parse_ppid(read_stat(proc_fd, pid));
}

// "PID (comm) ...": the comm between the first '(' and the last ')'.
std::string stat_comm(std::string_view stat) {
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  return std::string(stat.substr(open + 1, close - open - 1));
}

}  // namespace

Attribution::Attribution(std::vector<std::string> names, const std::vector<Component>& known,
                         const std::string& proc)
    : names_(std::move(names)) {
  for (const auto& c : known)
    if (c.mount_ns != 0) by_mount_ns_.emplace(c.mount_ns, c.name);
  if (auto fd = open_root(proc)) proc_fd_ = std::move(*fd);
}

std::string Attribution::named(const ProcessInfo& p) const {
  for (const auto& n : names_)
    if (process_is_named(p, n)) return n;
  return {};
}

void Attribution::rescan() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_rescan_ < kRescanEvery) return;
  last_rescan_ = now;
  for (pid_t pid : list_pids(proc_fd_.get())) {
    auto p = read_identity(proc_fd_.get(), pid);
    if (!p) continue;
    const std::string n = named(*p);
    if (n.empty() || !read_namespaces(proc_fd_.get(), *p)) continue;
    by_mount_ns_.emplace(p->mount_ns, n);
  }
}

std::string Attribution::component_of(const ProcessInfo& p, std::string& via) {
  if (std::string n = named(p); !n.empty()) {
    via = "self";
    return n;
  }
  pid_t up = read_ppid(proc_fd_.get(), p.pid);
  for (int i = 0; i < kMaxAncestors && up > 1; ++i) {
    auto a = read_identity(proc_fd_.get(), up);
    if (!a) break;
    if (std::string n = named(*a); !n.empty()) {
      via = "parent";
      return n;
    }
    up = read_ppid(proc_fd_.get(), up);
  }
  if (p.mount_ns == 0) return {};
  auto it = by_mount_ns_.find(p.mount_ns);
  if (it == by_mount_ns_.end()) {
    rescan();
    it = by_mount_ns_.find(p.mount_ns);
  }
  if (it == by_mount_ns_.end()) return {};
  via = "mount-ns";
  return it->second;
}

const Writer& Attribution::resolve(pid_t pid) {
  Writer w;
  w.pid = pid;
  auto p = read_process(proc_fd_.get(), pid);
  if (!p) {
    w.exited = true;
    gone(pid, w);
  } else {
    w.comm = p->comm;
    w.exe = p->exe;
    w.mount_ns = p->mount_ns;
    if (auto root = read_link_at(proc_fd_.get(), fmt::format("{}/root", pid))) w.root = *root;
    w.component = component_of(*p, w.via);
  }
  if (!cache_.contains(pid)) {
    if (order_.size() >= kMaxRememberedPids) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(pid);
  }
  return cache_[pid] = std::move(w);
}

void Attribution::gone(pid_t pid, Writer& w) {
  // A zombie keeps its stat (comm, parent) but no namespaces or exe: the
  // component is its parent's, while the parent has not reaped it.
  const std::string stat = read_stat(proc_fd_.get(), pid);
  if (stat.empty()) return;
  w.comm = stat_comm(stat);
  const pid_t ppid = parse_ppid(stat);
  if (ppid <= 1) return;
  auto parent = read_process(proc_fd_.get(), ppid);
  if (!parent) return;
  std::string via;
  w.component = component_of(*parent, via);
  if (!w.component.empty()) w.via = via == "self" ? "parent" : "parent-" + via;
}

Writer Attribution::lookup(pid_t pid, std::string_view comm) {
  if (pid <= 0) return {};
  auto it = cache_.find(pid);
  if (it != cache_.end() && !it->second.exited && (comm.empty() || it->second.comm == comm))
    return it->second;
  Writer w = resolve(pid);
  if (w.exited && w.comm.empty()) w.comm = std::string(comm);
  return w;
}

}  // namespace iptmode::monitor
