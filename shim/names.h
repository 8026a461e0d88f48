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

// The interpreter form: the kernel ran a `#!<bin dir>/iptmode-shim` script
// (`iptmode shim install` writes one in place of each staged
// xtables-<mode>-multi), so argv[1] is the path that was executed.
struct ScriptRoute {
  NameRoute route;            // unknown: refuse
  std::string_view base;      // the name after the last '/'
  bool same_dir = false;      // the path's directory is `dir`, byte for byte
  std::string_view path_dir;  // the path's directory, for an identity check when not
};

// Accepts an absolute path whose last component is one of route_name's names
// or xtables-nft-multi / xtables-legacy-multi (which force that backend, as
// k0s's own `xtables-<mode>-multi iptables-save` expects); anything else is
// unknown. Whether the directory is the shim's own is the caller's to insist
// on: same_dir, else the identity of path_dir.
ScriptRoute route_script(std::string_view path, std::string_view dir);

}  // namespace iptmode::shim
