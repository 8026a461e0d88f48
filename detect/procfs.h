// /proc/PID, read by a scanner that expects processes to vanish under it.
// The parsers are pure so the fuzzers and unit tests can drive them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iptmode {

// NUL-separated fields of /proc/PID/cmdline or environ; a missing final NUL
// is tolerated, empty fields are kept (argv may hold "").
std::vector<std::string> split_nul(std::string_view s);

// KEY's value in an environ block, the first occurrence, as a libc getenv would.
std::optional<std::string> env_value(std::string_view environ, std::string_view key);

// "mnt:[4026531840]" -> 4026531840.
std::optional<std::uint64_t> parse_ns_link(std::string_view link);

std::string_view base_name(std::string_view path);

struct ProcessInfo {
  pid_t pid = 0;
  std::string comm;  // at most 15 bytes, as the kernel keeps it
  std::string exe;   // the link text of /proc/PID/exe, as seen in its own mount namespace
  std::vector<std::string> argv;
  std::uint64_t mount_ns = 0;
  std::uint64_t net_ns = 0;
};

// A process that is gone, or exits mid-read, gives an error with errnum ESRCH.
// `read_process` reads everything; a scanner over thousands of processes
// reads the identity first (comm, exe, argv) and the namespaces of the few
// that match.
Result<ProcessInfo> read_process(int proc_fd, pid_t pid);
Result<ProcessInfo> read_identity(int proc_fd, pid_t pid);
Result<void> read_namespaces(int proc_fd, ProcessInfo& p);

// The numeric entries of /proc.
std::vector<pid_t> list_pids(int proc_fd);

// The environ of a process, bounded; ESRCH when gone.
Result<std::string> read_environ(int proc_fd, pid_t pid);

// The network namespace this process runs in.
Result<std::uint64_t> own_net_ns(int proc_fd);

inline constexpr std::size_t kProcFileLimit = 1024 * 1024;

}  // namespace iptmode
