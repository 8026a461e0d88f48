// k3s's config file, read as k3s reads it (k3s-io/k3s pkg/configfilearg
// parser.go at f646604): the file named by K3S_CONFIG_FILE, else --config or
// -c, else /etc/rancher/k3s/config.yaml, then every *.yaml/*.yml in
// `<file>.d` in name order. Each top-level key becomes `--key=value` (a list
// one flag per item; `key+:` appends to what an earlier file set), and k3s
// inserts those flags right after its subcommand, so its command line wins.
// /proc/PID/cmdline shows only the command line: without this, a
// `disable-kube-proxy: true` made only in config.yaml is missed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iptmode {

inline constexpr std::string_view kK3sDefaultConfig = "/etc/rancher/k3s/config.yaml";
// Drop-in files read at most: more is not a config k3s's users write.
inline constexpr std::size_t kK3sMaxDropins = 64;

// One top-level key of one file.
struct K3sConfigValue {
  std::string key;  // without a trailing `+`
  bool append = false;
  bool list = false;
  std::vector<std::string> values;
};

// The keys of one file's text, in order; the reason when it is not YAML.
Result<std::vector<K3sConfigValue>> parse_k3s_config(std::string_view text);

// Files in k3s's order merged into the flags k3s inserts.
std::vector<std::string> k3s_config_flags(const std::vector<std::vector<K3sConfigValue>>& files);

// The config file's path for a k3s process with this argv and environment
// (NUL-separated environ, as /proc/PID/environ).
std::string k3s_config_path(const std::vector<std::string>& argv, std::string_view environ);

// argv with `flags` inserted after the subcommand (server, agent); argv
// unchanged when it has none.
std::vector<std::string> k3s_effective_argv(const std::vector<std::string>& argv,
                                            const std::vector<std::string>& flags);

struct K3sConfig {
  std::vector<std::string> flags;
  std::vector<std::string> files;  // read, in k3s's order
  std::string note;                // what could not be read, one line; empty when nothing
};

// Reads the config at `path` and its drop-ins inside `root_fd` (the
// process's /proc/PID/root), bounded, regular files only.
K3sConfig read_k3s_config(int root_fd, const std::string& path);

}  // namespace iptmode
