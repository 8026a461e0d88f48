#include "detect/credentials.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

#include <fmt/format.h>

#include "core/fd.h"
#include "core/text.h"
#include "detect/file_read.h"

namespace iptmode {
namespace {

template <class T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  s = trim(s);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc{} && ptr == s.data() + s.size() && !s.empty();
}

// The next whitespace-separated word of `s`, consumed.
std::string_view next_word(std::string_view& s) {
  s = trim(s);
  auto end = s.find_first_of(" \t");
  std::string_view w = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
  return w;
}

bool has(std::uint64_t caps, int cap) {
  return (caps >> cap) & 1u;
}

std::optional<ino_t> inode_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return st.st_ino;
}

// Whether the user namespace `user_ino` owns the network namespace open at
// `net_fd`, or is an ancestor of its owner. nullopt when the kernel will not
// say (no NS_GET_USERNS, or an owner outside the reader's own namespace).
std::optional<bool> owns_netns(int net_fd, ino_t user_ino) {
  UniqueFd owner(::ioctl(net_fd, NS_GET_USERNS));
  if (!owner) return std::nullopt;
  for (int depth = 0; depth < 33; ++depth) {  // the kernel nests at most 32 deep
    auto ino = inode_of(owner.get());
    if (!ino) return std::nullopt;
    if (*ino == user_ino) return true;
    UniqueFd parent(::ioctl(owner.get(), NS_GET_PARENT));
    if (!parent) return false;  // EPERM: above the reader's own namespace
    owner = std::move(parent);
  }
  return false;
}

}  // namespace

std::optional<StatusCreds> parse_status(std::string_view text) {
  StatusCreds c;
  int seen = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (key == "Uid") {
      for (auto& u : c.uid)
        if (!parse_number(next_word(value), u)) return std::nullopt;
      if (!trim(value).empty()) return std::nullopt;
      seen |= 1;
    } else if (key == "CapPrm") {
      if (!parse_number(value, c.cap_prm, 16)) return std::nullopt;
      seen |= 2;
    } else if (key == "CapEff") {
      if (!parse_number(value, c.cap_eff, 16)) return std::nullopt;
      seen |= 4;
    } else if (key == "CapBnd") {
      if (!parse_number(value, c.cap_bnd, 16)) return std::nullopt;
      seen |= 8;
    }
  }
  if (seen != 15) return std::nullopt;
  return c;
}

bool maps_to_root(std::string_view uid_map, std::uint32_t outer) {
  while (!uid_map.empty()) {
    std::string_view line = next_line(uid_map);
    std::uint64_t inside = 0, first = 0, count = 0;
    if (!parse_number(next_word(line), inside) || !parse_number(next_word(line), first) ||
        !parse_number(next_word(line), count))
      continue;
    if (inside == 0 && count > 0 && outer == first) return true;
  }
  return false;
}

Privilege read_privilege(int proc_fd, pid_t pid) {
  const std::string dir = std::to_string(pid);
  auto status = read_file_bounded(proc_fd, dir + "/status", 64 * 1024);
  if (!status) return {true, "credentials unreadable: " + status.error().message};
  auto creds = parse_status(*status);
  if (!creds) return {true, fmt::format("{}/status: no Uid/Cap lines", dir)};
  UniqueFd user(::openat(proc_fd, (dir + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd net(::openat(proc_fd, (dir + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  auto user_ino = user ? inode_of(user.get()) : std::nullopt;
  if (!user_ino || !net) return {true, "namespaces unreadable"};

  const auto owns = owns_netns(net.get(), *user_ino);
  if (!owns) return {true, "owner of its network namespace unknown"};
  const std::string who = fmt::format("uid {}", creds->uid[1]);
  if (!*owns)
    return {false,
            fmt::format("{}, in a user namespace that does not own its network namespace", who)};
  // Permitted caps can be made effective at any time; a uid 0 (in its own
  // user namespace) gets its bounding set at its next exec.
  if (has(creds->cap_prm, kCapNetAdmin)) return {true, who + ", CAP_NET_ADMIN permitted"};
  auto map = read_file_bounded(proc_fd, dir + "/uid_map", 64 * 1024);
  bool root = false;
  for (auto u : creds->uid) root = root || u == 0 || (map && maps_to_root(*map, u));
  if (root && has(creds->cap_bnd, kCapNetAdmin))
    return {true, who + ", root in its user namespace"};
  return {false, fmt::format("{}, no CAP_NET_ADMIN{}", who,
                             root ? " (root without it in its bounding set)" : "")};
}

}  // namespace iptmode
