// /etc/iptmode/iptmode.conf: `key = value` lines, `#` comments.
//
//   mode = auto | nft | legacy        (auto: detect)
//   version-check = warn | enforce | off
//   components = name, name ...       (process names to audit besides the four)
//   backend-dir = /usr/sbin           (where the shim finds xtables-*-multi)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/mode.h"
#include "core/version_policy.h"

namespace iptmode {

struct Config {
  std::optional<Mode> mode;  // nullopt: auto
  VersionCheck version_check = VersionCheck::warn;
  bool version_check_set = false;  // the file says it (an install must not reset the shim's own)
  std::vector<std::string> components;
  std::string backend_dir;  // empty: the directory the shim lives in
};

inline constexpr std::string_view kDefaultConfigPath = "/etc/iptmode/iptmode.conf";
inline constexpr std::size_t kConfigSizeLimit = 64 * 1024;

// `path` only names the file in error messages ("<path>:<line>: ...").
Result<Config> parse_config(std::string_view text, std::string_view path);

// `path` on the host (links followed, as for any path given on the command
// line). A missing file is the default Config unless `must_exist` (an
// explicit --config names a file that must be there).
Result<Config> load_config(const std::string& path, bool must_exist);

// kDefaultConfigPath inside `host_root`, resolved there (detect/in_root.h):
// a link (a ConfigMap's ..data/) never leaves the root. Missing: the default
// Config. Messages name the file as <host_root>/etc/iptmode/iptmode.conf.
Result<Config> load_root_config(const std::string& host_root);

}  // namespace iptmode
