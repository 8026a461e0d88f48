// libFuzzer target: kube-proxy's proxy mode from its argv and its --config
// text. The input's first two bytes (little-endian) are the argv block's
// length; the argv block is split on NUL as /proc/PID/cmdline is; the rest
// is the config file's text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/component_mode.h"
#include "detect/procfs.h"

using namespace iptmode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t argv_len =
      std::min<std::size_t>(data[0] | (std::size_t{data[1]} << 8), size - 2);
  const std::string_view argv_block(reinterpret_cast<const char*>(data) + 2, argv_len);
  const std::string config(reinterpret_cast<const char*>(data) + 2 + argv_len, size - 2 - argv_len);
  const std::vector<std::string> argv = split_nul(argv_block);

  const ProxyMode mode = kube_proxy_mode(argv, config);
  // An unknown mode is named somewhere: by a --proxy-mode flag or a `mode:` line.
  if (mode == ProxyMode::unknown) {
    bool named = config.find("mode:") != std::string::npos;
    for (std::size_t i = 1; i < argv.size(); ++i)
      named = named || argv[i].starts_with("--proxy-mode");
    if (!named) __builtin_trap();
  }
  if (auto path = kube_proxy_config_path(argv)) {
    bool found = false;
    for (const auto& a : argv) found = found || a.find(*path) != std::string::npos;
    if (!found) __builtin_trap();
  }
  std::vector<std::string> env = argv;  // any NUL-split block is an environment too
  (void)env_lookup_nocase(env, "FELIX_IPTABLESBACKEND");
  if (!config.empty()) (void)env_lookup_nocase(env, config.substr(0, 32));
  return 0;
}
