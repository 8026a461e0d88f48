#include "cli/cmd_detect.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "detect/config.h"
#include "detect/decide.h"
#include "detect/evidence.h"
#include "detect/report_json.h"

namespace iptmode::cli {
namespace {

int error_exit(std::string_view message) {
  fmt::print(stderr, "iptmode: {}\n", message);
  return kExitError;
}

void print_plain(const Decision& d) {
  fmt::print("mode: {} (decided by {})\n", to_string(d.mode), to_string(d.rule));
  for (const auto& r : d.reasons) {
    fmt::print("{} {:<15} {:<7} {}\n", r.decided ? '*' : ' ', to_string(r.rule),
               r.says ? to_string(*r.says) : "-", r.text);
  }
  for (const auto& w : d.warnings) fmt::print("warning: {}\n", w);
}

}  // namespace

int run_detect(const DetectOptions& opts) {
  if (::geteuid() != 0)
    return error_exit("detect reads the kernel's packet filter tables and needs root: run it with sudo");

  const bool explicit_config = !opts.config.empty();
  const std::string config_path =
      explicit_config ? opts.config
                      : (opts.host_root == "/" ? "" : opts.host_root) + std::string(kDefaultConfigPath);
  auto config = load_config(config_path, explicit_config);
  if (!config) return error_exit(config.error().message);

  std::optional<Override> override_mode;
  if (auto m = parse_mode(opts.mode)) override_mode = Override{*m, "--mode"};
  else if (config->mode) override_mode = Override{*config->mode, config_path};

  GatherOptions gather;
  gather.host_root = opts.host_root;
  for (auto name : kDefaultComponents) gather.component_names.emplace_back(name);
  for (const auto& name : config->components) gather.component_names.push_back(name);
  auto evidence = gather_evidence(gather);
  if (!evidence) return error_exit(evidence.error().message);

  const Decision decision = decide(*evidence, override_mode);
  if (opts.json) fmt::print("{}\n", detect_json(*evidence, decision).dump(2));
  else print_plain(decision);
  return kExitOk;
}

}  // namespace iptmode::cli
