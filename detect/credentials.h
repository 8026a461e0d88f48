// Whether a process can write the packet filter of its network namespace:
// that takes CAP_NET_ADMIN in the user namespace that owns the network
// namespace (or an ancestor of it). Anyone can start a process called
// kube-proxy; only such a process is a writer whose backend and version
// matter. Read from /proc/PID/status, ns/user, ns/net and uid_map; nothing
// is changed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iptmode {

inline constexpr int kCapNetAdmin = 12;

// The lines of /proc/PID/status that say what a process may do.
struct StatusCreds {
  std::uint32_t uid[4] = {0, 0, 0, 0};  // real, effective, saved, fs, as the reader sees them
  std::uint64_t cap_prm = 0;
  std::uint64_t cap_eff = 0;
  std::uint64_t cap_bnd = 0;
};
// Pure, for the unit tests and fuzzers: nullopt unless Uid, CapPrm, CapEff
// and CapBnd are all there and well formed.
std::optional<StatusCreds> parse_status(std::string_view text);

// Whether `outer` (a uid as the reader sees it) is uid 0 inside a user
// namespace with this uid_map text ("0 100000 65536\n").
bool maps_to_root(std::string_view uid_map, std::uint32_t outer);

struct Privilege {
  bool can_write = true;  // CAP_NET_ADMIN over its network namespace, now or after an exec
  std::string why;        // one line: "uid 65534, no CAP_NET_ADMIN" ...
};

// A process whose credentials cannot be read is assumed able to write: the
// check only ever takes a component out of the count, never hides a real one.
Privilege read_privilege(int proc_fd, pid_t pid);

}  // namespace iptmode
