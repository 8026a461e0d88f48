#include "audit/wrapper_prediction.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/text.h"
#include "detect/file_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

bool nft_mangle_hint(const KernelState& k) {
  for (const auto& h : find_hint_chains(k.nft))
    if (h.table == "mangle") return true;
  return false;
}

std::string counts(const KernelState& k) {
  return fmt::format("x_tables {} rules, nf_tables {}", iptables_rule_count(k.legacy),
                     iptables_rule_count(k.nft));
}

// kubernetes-sigs v2 and v3 look for kubelet's hint first: nf_tables mangle,
// then anywhere in x_tables.
std::optional<WrapperPrediction> by_hint(const KernelState& k) {
  if (nft_mangle_hint(k)) return WrapperPrediction{Mode::nft, "kubelet's hint in nf_tables mangle"};
  if (!find_hint_chains(k.legacy).empty())
    return WrapperPrediction{Mode::legacy, "kubelet's hint in x_tables"};
  return std::nullopt;
}

// k3s-root's os_detect: the distribution's default.
WrapperPrediction k3s_os(const WrapperInputs& in) {
  const std::string& os = in.os_id;
  auto major_at_least = [&](int v, std::string_view what) {
    if (!in.os_major)
      return WrapperPrediction{std::nullopt, fmt::format("{} of unknown version", what)};
    return WrapperPrediction{*in.os_major >= v ? Mode::nft : Mode::legacy,
                             fmt::format("no rules; {} {}", what, *in.os_major)};
  };
  if (os == "alpine" || os == "ubuntu") return {Mode::legacy, fmt::format("no rules; OS {}", os)};
  if (os == "debian" || os == "raspbian") return major_at_least(10, os);
  if (os == "oracleserver" || os == "centos" || os == "redhat" || os == "redhatenterpriseserver")
    return major_at_least(8, os);
  if (os == "fedora")
    return {std::nullopt, "no rules; fedora: it asks rpm whether iptables-nft is installed"};
  return {Mode::nft, os.empty() ? "no rules; OS unknown" : "no rules; OS " + os + " unknown to it"};
}

WrapperPrediction k3s(const KernelState& k, const WrapperInputs& in) {
  if (in.iptables_mode) {
    const auto m = parse_mode(*in.iptables_mode);
    return {m, fmt::format("IPTABLES_MODE={}", *in.iptables_mode)};
  }
  const auto legacy = iptables_rule_count(k.legacy);
  const auto nft = iptables_rule_count(k.nft);
  if (legacy >= 10) return {Mode::legacy, counts(k) + ": 10 or more in x_tables"};
  if (legacy > nft) return {Mode::legacy, counts(k)};
  if (nft > 0) return {Mode::nft, counts(k)};
  if (!in.containerized)
    return {std::nullopt, "no rules; whether it runs containerized is unknown"};
  if (*in.containerized) return {Mode::legacy, "no rules; containerized"};
  if (in.alternatives)
    return {in.alternatives->find("nft") != std::string::npos ? Mode::nft : Mode::legacy,
            "no rules; /etc/alternatives/iptables -> " + *in.alternatives};
  return k3s_os(in);
}

}  // namespace

WrapperPrediction predict_wrapper(WrapperKind kind, const KernelState& k, const WrapperInputs& in) {
  const auto legacy = iptables_rule_count(k.legacy);
  const auto nft = iptables_rule_count(k.nft);
  switch (kind) {
    case WrapperKind::sigs_v1_timeout:
      if (legacy >= 10) return {Mode::legacy, counts(k) + ": 10 or more in x_tables"};
      [[fallthrough]];
    case WrapperKind::sigs_v1:
    case WrapperKind::k8s_release:
      // No hint step: an nft node with only kubelet's (rule-less) hint ties
      // at 0 and 0, and a tie goes to legacy.
      return {legacy >= nft ? Mode::legacy : Mode::nft, counts(k) + " (a tie to legacy)"};
    case WrapperKind::sigs_v2:
      if (auto h = by_hint(k)) return *h;
      return {legacy > nft ? Mode::legacy : Mode::nft, counts(k) + " (a tie to nft)"};
    case WrapperKind::sigs_v3:
      if (auto h = by_hint(k)) return *h;
      return {Mode::nft, "no hint: nft"};
    case WrapperKind::k3s_detect:
      return k3s(k, in);
    case WrapperKind::unknown:
    case WrapperKind::none:
      break;
  }
  return {std::nullopt, "a wrapper whose algorithm we do not know"};
}

std::string_view relink_failure_effect(WrapperKind kind) {
  switch (kind) {
    case WrapperKind::sigs_v1:
    case WrapperKind::sigs_v1_timeout:
    case WrapperKind::sigs_v2:
      // `exec xtables-MODE-multi "$0" "$@"`: a script's $0 is its path
      // (/usr/sbin/iptables), and every xtables-*-multi (1.8.7 to 1.8.11,
      // measured) rejects a path as the command name.
      return "its fallback runs xtables-<mode>-multi with the wrapper's path as the command, "
             "which it rejects (\"No valid subcommand given\"), so every iptables call fails";
    case WrapperKind::sigs_v3:
      return "it runs the backend it picked without relinking, so it re-detects on every call "
             "and its choice can flip as rules change";
    case WrapperKind::k8s_release:
      return "update-alternatives fails under `set -e`, so every iptables call fails";
    case WrapperKind::k3s_detect:
      return "xtables-set-mode.sh fails, so every iptables call exits 1";
    case WrapperKind::unknown:
    case WrapperKind::none:
      break;
  }
  return "what it does then is unknown";
}

bool relink_failure_breaks_calls(WrapperKind kind) {
  return kind == WrapperKind::sigs_v1 || kind == WrapperKind::sigs_v1_timeout ||
         kind == WrapperKind::sigs_v2 || kind == WrapperKind::k8s_release ||
         kind == WrapperKind::k3s_detect;
}

}  // namespace iptmode

namespace iptmode {
namespace {

// A small file inside the root, or nothing.
std::optional<std::string> root_text(int root_fd, std::string_view path) {
  auto r = resolve_in_root(root_fd, path);
  if (!r) return std::nullopt;
  auto fd = open_in_root(root_fd, r->path);
  if (!fd) return std::nullopt;
  char buf[8192];
  ssize_t n = ::read(fd->get(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

// KEY=value (quotes dropped) in an os-release or lsb-release file.
std::string shell_var(const std::string& text, std::string_view key) {
  std::string_view t = text;
  while (!t.empty()) {
    const auto c = parse_config_line(next_line(t));
    if (c.kind != ConfigLine::pair || c.key != key) continue;
    std::string_view v = c.value;
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return {};
}

std::optional<int> leading_int(std::string_view s) {
  int v = 0;
  std::size_t i = 0;
  for (; i < s.size() && i < 6 && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + (s[i] - '0');
  if (i == 0) return std::nullopt;
  return v;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// iptables-detect.sh's os_detect, in its order of files.
void read_os(int root_fd, WrapperInputs& in) {
  const auto os_release = root_text(root_fd, "/etc/os-release");
  if (auto lsb = root_text(root_fd, "/etc/lsb-release")) in.os_id = shell_var(*lsb, "DISTRIB_ID");
  const std::pair<const char*, const char*> files[] = {{"/etc/debian_version", "debian"},
                                                       {"/etc/fedora-release", "fedora"},
                                                       {"/etc/oracle-release", "oracleserver"},
                                                       {"/etc/centos-release", "centos"},
                                                       {"/etc/redhat-release", "redhat"}};
  for (const auto& [file, id] : files)
    if (in.os_id.empty() && root_text(root_fd, file)) in.os_id = id;
  if (in.os_id.empty() && os_release) in.os_id = shell_var(*os_release, "ID");
  in.os_id = lower(in.os_id);
  if (in.os_id == "debian" || in.os_id == "raspbian") {
    if (auto v = root_text(root_fd, "/etc/debian_version")) in.os_major = leading_int(*v);
  } else if (os_release) {
    in.os_major = leading_int(shell_var(*os_release, "VERSION_ID"));
  }
}

}  // namespace

WrapperInputs gather_wrapper_inputs(const Component& c, const std::string& proc) {
  WrapperInputs in;
  for (const auto& e : c.environ)
    if (e.starts_with("IPTABLES_MODE=") && e.size() > 14) in.iptables_mode = e.substr(14);
  // Its PID 1 is the host's init when it shares our pid namespace.
  auto self_ns = read_link_at(AT_FDCWD, proc + "/self/ns/pid");
  auto its_ns = c.pids.empty()
                    ? self_ns
                    : read_link_at(AT_FDCWD, fmt::format("{}/{}/ns/pid", proc, c.pids.front()));
  if (self_ns && its_ns && *self_ns == *its_ns) {
    if (auto cg = read_file_bounded(AT_FDCWD, proc + "/1/cgroup", 64 * 1024)) {
      bool contained = false;
      std::string_view t = *cg;
      while (!t.empty()) {
        const std::string_view line = next_line(t);
        const auto a = line.find(':');
        const auto b = a == std::string_view::npos ? a : line.find(':', a + 1);
        if (b == std::string_view::npos ||
            line.substr(a + 1, b - a - 1).find("cpuset") == std::string_view::npos)
          continue;
        const std::string_view path = line.substr(b + 1);
        contained = contained || path.find_first_not_of('/') != std::string_view::npos;
      }
      in.containerized = contained;
    }
  }
  if (c.pids.empty()) return in;
  auto root = open_root(fmt::format("{}/{}/root", proc, c.pids.front()));
  if (!root) return in;
  // The directory resolved inside the root, so a planted /etc link cannot
  // lead the read out of it; the final link is read, not followed.
  if (auto dir = resolve_in_root(root->get(), "/etc/alternatives"))
    if (auto t = read_link_at(root->get(), dir->path.substr(1) + "/iptables")) in.alternatives = *t;
  read_os(root->get(), in);
  return in;
}

bool wrapper_cannot_relink(const Component& c, const std::string& proc) {
  if (c.pids.empty() || !c.iptables.resolved) return false;
  auto root = open_root(fmt::format("{}/{}/root", proc, c.pids.front()));
  if (!root) return false;
  for (const auto& link : c.iptables.resolved->links) {
    const std::string from = link.substr(0, link.find(" -> "));
    const auto slash = from.rfind('/');
    if (slash == std::string::npos) continue;
    auto dir = resolve_in_root(root->get(), slash == 0 ? "/" : from.substr(0, slash));
    if (!dir) continue;
    const std::string rel = dir->path == "/" ? "." : dir->path.substr(1);
    UniqueFd fd(::openat(root->get(), rel.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct statvfs st {};
    if (fd && ::fstatvfs(fd.get(), &st) == 0 && (st.f_flag & ST_RDONLY) != 0) return true;
  }
  return false;
}

}  // namespace iptmode
