#include "detect/xtables_blob.h"

#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include "core/fd.h"

namespace iptmode {
namespace {

constexpr const char* kHookNames[] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};
constexpr int kHooks = 5;
// A table that changes between GET_INFO and GET_ENTRIES (EAGAIN) is read again, this often.
constexpr int kAttempts = 5;

// The two families differ in the entry's header and the socket options.
struct V4 {
  using Entry = ipt_entry;
  using Info = ipt_getinfo;
  using Entries = ipt_get_entries;
  static constexpr int kFamily = AF_INET;
  static constexpr int kLevel = IPPROTO_IP;
  static constexpr int kGetInfo = IPT_SO_GET_INFO;
  static constexpr int kGetEntries = IPT_SO_GET_ENTRIES;
};
struct V6 {
  using Entry = ip6t_entry;
  using Info = ip6t_getinfo;
  using Entries = ip6t_get_entries;
  static constexpr int kFamily = AF_INET6;
  static constexpr int kLevel = IPPROTO_IPV6;
  static constexpr int kGetInfo = IP6T_SO_GET_INFO;
  static constexpr int kGetEntries = IP6T_SO_GET_ENTRIES;
};

// One entry's place in the blob and its target's name (ERROR heads carry the chain's).
struct EntryView {
  std::uint32_t next = 0;
  std::string_view target;
  std::string_view error_name;  // for an ERROR target
};

template <class F>
Result<EntryView> view_entry(std::span<const std::byte> blob, std::size_t at) {
  using Entry = typename F::Entry;
  const auto bad = [&](std::string_view what) {
    return fail(fmt::format("x_tables entry at offset {}: {}", at, what));
  };
  if (blob.size() - at < sizeof(Entry)) return bad("truncated");
  Entry e;
  std::memcpy(&e, blob.data() + at, sizeof e);
  if (e.next_offset < sizeof(Entry) || e.next_offset > blob.size() - at)
    return bad("next_offset out of bounds");
  if (e.target_offset < sizeof(Entry) || e.target_offset + sizeof(xt_entry_target) > e.next_offset)
    return bad("target_offset out of bounds");
  const auto* t = reinterpret_cast<const char*>(blob.data() + at + e.target_offset);
  EntryView v{e.next_offset, {}, {}};
  const char* name = t + offsetof(xt_entry_target, u.user.name);
  v.target = std::string_view(name, strnlen(name, XT_EXTENSION_MAXNAMELEN));
  if (v.target == XT_ERROR_TARGET) {
    const std::size_t data = e.target_offset + sizeof(xt_entry_target);
    const std::size_t room = std::min<std::size_t>(e.next_offset - data, XT_FUNCTION_MAXNAMELEN);
    const char* err = reinterpret_cast<const char*>(blob.data() + at + data);
    v.error_name = std::string_view(err, strnlen(err, room));
  }
  return v;
}

std::optional<int> hook_at(const XtablesInfo& info, const std::uint32_t (&offsets)[5],
                           std::size_t at) {
  for (int h = 0; h < kHooks; ++h)
    if ((info.valid_hooks & (1u << h)) != 0 && offsets[h] == at) return h;
  return std::nullopt;
}

template <class F>
Result<std::vector<Chain>> walk(const XtablesInfo& info, std::span<const std::byte> blob) {
  std::vector<Chain> builtin, user;
  Chain* open = nullptr;  // the chain whose rules are being counted
  bool open_user = false;
  std::uint64_t entries = 0, rules = 0, heads = 0, policies = 0;
  bool ended = false;
  for (std::size_t at = 0; at < blob.size();) {
    auto v = view_entry<F>(blob, at);
    if (!v) return std::unexpected(v.error());
    ++entries;
    if (auto h = hook_at(info, info.hook_entry, at)) {
      builtin.push_back(Chain{kHookNames[*h], true, 0});
      open = &builtin.back();
      open_user = false;
    }
    if (hook_at(info, info.underflow, at)) {
      ++policies;  // the builtin chain's policy: not a rule
      open = nullptr;
    } else if (v->target == XT_ERROR_TARGET) {
      // A user chain's ERROR head; the one at the very end closes the table.
      if (open_user) {
        // The chain before it ended in its RETURN tail, counted as a rule so far.
        if (open == nullptr || *open->rules == 0)
          return fail(
              fmt::format("x_tables entry at offset {}: a user chain without its tail", at));
        --*open->rules;
        --rules;
      }
      open = nullptr;
      open_user = false;
      if (at + v->next == blob.size()) {
        ended = true;
      } else {
        ++heads;
        user.push_back(Chain{std::string(v->error_name), false, 0});
        open = &user.back();
        open_user = true;
      }
    } else if (open != nullptr) {
      ++*open->rules;
      ++rules;
    } else {
      return fail(fmt::format("x_tables entry at offset {}: outside any chain", at));
    }
    at += v->next;
  }
  if (!ended || entries != info.num_entries || rules + policies + 2 * heads + 1 != entries)
    return fail(
        fmt::format("x_tables: {} entries do not add up to {} ({} rules, {} policies, "
                    "{} user chains)",
                    entries, info.num_entries, rules, policies, heads));
  // libiptc lists user chains by name (strcmp), after the builtin ones.
  std::sort(user.begin(), user.end(),
            [](const Chain& a, const Chain& b) { return a.name < b.name; });
  for (auto& c : user) builtin.push_back(std::move(c));
  return builtin;
}

// An anonymous mapping for the kernel's copy, released whole when it goes.
struct Mapping {
  void* p = MAP_FAILED;
  std::size_t n = 0;
  explicit Mapping(std::size_t bytes) : n(bytes) {
    p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (p != MAP_FAILED) ::munmap(p, n);
  }
};

Error sock_error(const char* family, const std::string& name, std::string_view what, int e) {
  const std::string fix =
      (e == EPERM || e == EACCES) ? " (reading x_tables needs CAP_NET_ADMIN: run as root)" : "";
  return Error{fmt::format("x_tables {} {}: {}: {}{}", family, name, what, std::strerror(e), fix),
               e};
}

template <class F>
Result<Table> read_table(const std::string& name, std::size_t* blob_bytes) {
  const char* family = F::kFamily == AF_INET ? "ip" : "ip6";
  const int raw = ::socket(F::kFamily, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (raw < 0) return std::unexpected(sock_error(family, name, "socket", errno));
  const UniqueFd fd(raw);
  if (name.size() >= XT_TABLE_MAXNAMELEN) return fail(fmt::format("x_tables name {}", name));
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    typename F::Info gi{};
    std::memcpy(gi.name, name.data(), name.size());
    socklen_t len = sizeof gi;
    if (::getsockopt(fd.get(), F::kLevel, F::kGetInfo, &gi, &len) != 0)
      return std::unexpected(sock_error(family, name, "GET_INFO", errno));
    XtablesInfo info{gi.valid_hooks, {}, {}, gi.num_entries, gi.size};
    std::copy_n(gi.hook_entry, kHooks, info.hook_entry);
    std::copy_n(gi.underflow, kHooks, info.underflow);
    const std::size_t bytes = sizeof(typename F::Entries) + gi.size;
    Mapping m(bytes);
    if (m.p == MAP_FAILED) return std::unexpected(sock_error(family, name, "mmap", errno));
    auto* ge = static_cast<typename F::Entries*>(m.p);
    std::memcpy(ge->name, name.data(), name.size());
    ge->size = gi.size;
    len = static_cast<socklen_t>(bytes);
    if (::getsockopt(fd.get(), F::kLevel, F::kGetEntries, ge, &len) != 0) {
      if (errno == EAGAIN) continue;  // it changed size since GET_INFO
      return std::unexpected(sock_error(family, name, "GET_ENTRIES", errno));
    }
    if (blob_bytes != nullptr) *blob_bytes = gi.size;
    const auto* start = reinterpret_cast<const std::byte*>(ge) + sizeof(typename F::Entries);
    auto chains = walk<F>(info, {start, gi.size});
    if (!chains) return fail(fmt::format("{} {}: {}", family, name, chains.error().message));
    return Table{family, name, std::move(*chains)};
  }
  return fail(fmt::format("x_tables {} {}: it changed under every one of {} reads", family, name,
                          kAttempts));
}

}  // namespace

Result<std::vector<Chain>> walk_xtables(bool v6, const XtablesInfo& info,
                                        std::span<const std::byte> blob) {
  return v6 ? walk<V6>(info, blob) : walk<V4>(info, blob);
}

Result<Table> read_xtables_table(bool v6, const std::string& name, std::size_t* blob_bytes) {
  return v6 ? read_table<V6>(name, blob_bytes) : read_table<V4>(name, blob_bytes);
}

}  // namespace iptmode
