#include "detect/pipeline.h"

#include <algorithm>

#include <fmt/format.h>

namespace iptmode {

Result<Detection> run_pipeline(const PipelineOptions& opts) {
  Detection d;
  const bool explicit_config = !opts.config.empty();
  d.config_path = explicit_config ? opts.config
                                  : (opts.host_root == "/" ? "" : opts.host_root) +
                                        std::string(kDefaultConfigPath);
  auto config = explicit_config ? load_config(opts.config, true) : load_root_config(opts.host_root);
  if (!config) return std::unexpected(config.error());
  d.config = std::move(*config);

  // An explicit --mode auto overrules the config's mode= too.
  if (auto m = parse_mode(opts.mode))
    d.override_mode = Override{*m, "--mode"};
  else if (!opts.mode.empty() && opts.mode != "auto")
    return fail(fmt::format("--mode must be auto, nft or legacy, not \"{}\"", opts.mode));
  else if (opts.mode.empty() && d.config.mode)
    d.override_mode = Override{*d.config.mode, d.config_path};

  GatherOptions gather;
  gather.host_root = opts.host_root;
  gather.always_count_rules = opts.always_count_rules;
  gather.limits = opts.limits;
  for (auto name : kDefaultComponents) gather.component_names.emplace_back(name);
  for (const auto& name : d.config.components) gather.component_names.push_back(name);
  for (const auto& name : opts.also_scan) gather.component_names.push_back(name);
  auto evidence = gather_evidence(gather);
  if (!evidence) return std::unexpected(evidence.error());
  d.evidence = std::move(*evidence);

  // One /proc scan serves both; only the writers the decision knows stay.
  std::erase_if(d.evidence.components, [&](Component& c) {
    if (std::find(opts.also_scan.begin(), opts.also_scan.end(), c.name) == opts.also_scan.end())
      return false;
    d.also_found.push_back(std::move(c));
    return true;
  });
  d.decision = decide(d.evidence, d.override_mode);
  return d;
}

}  // namespace iptmode
