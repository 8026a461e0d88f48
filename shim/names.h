// The names the shim answers to, and which backend each one forces.
#pragma once

#include <optional>
#include <string_view>

#include "core/mode.h"

namespace iptmode::shim {

// The six names k0s links in its bin dir.
inline constexpr std::string_view kNames[] = {"iptables",  "iptables-save",  "iptables-restore",
                                              "ip6tables", "ip6tables-save", "ip6tables-restore"};

// Files beside the installed shim.
inline constexpr const char* kShimFile = "iptmode-shim";
inline constexpr const char* kStateFile = "iptmode-shim.state";
inline constexpr const char* kSettingsFile = "iptmode-shim.conf";
inline constexpr const char* kLockFile = "iptmode-shim.lock";
// Left by `iptmode shim uninstall`: `shim watch` does not put the shim back
// while it is there; `iptmode shim install` removes it.
inline constexpr const char* kUninstalledFile = "iptmode-shim.uninstalled";

struct NameRoute {
  bool known = false;
  std::optional<Mode> forced;  // -nft / -legacy names bypass the recorded mode
};

// "iptables" -> known; "ip6tables-nft-save" -> known, forced nft; "ls" -> unknown.
NameRoute route_name(std::string_view name);

}  // namespace iptmode::shim
