// Exit statuses of the iptmode command, shared by every subcommand.
#pragma once

namespace iptmode::cli {

inline constexpr int kExitOk = 0;
// The audit's "a finding reached --fail-on" (node-problem-detector NonOK).
inline constexpr int kExitFindings = 1;
// Could not run: usage error, not root, unreadable input (NPD Unknown).
inline constexpr int kExitError = 2;

}  // namespace iptmode::cli
