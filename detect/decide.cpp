#include "detect/decide.h"

#include <compare>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace iptmode {
namespace {

std::string list_chains(const std::vector<ChainRef>& refs) {
  if (refs.empty()) return "none";
  std::vector<std::string> parts;
  parts.reserve(refs.size());
  for (const auto& r : refs) parts.push_back(to_string(r));
  return fmt::format("{}", fmt::join(parts, ", "));
}

Reason override_step(const std::optional<Override>& ov) {
  Reason r{Rule::override_mode, false, std::nullopt, ""};
  if (ov) {
    r.says = ov->mode;
    r.text = fmt::format("{} sets mode {}", ov->source, to_string(ov->mode));
  } else {
    r.text = "no --mode, and the config sets no mode (auto)";
  }
  return r;
}

Reason hint_step(const KernelState& k) {
  Reason r{Rule::hint, false, std::nullopt, ""};
  auto nft = find_hint_chains(k.nft);
  auto legacy = find_hint_chains(k.legacy);
  if (!nft.empty())
    r.says = Mode::nft;
  else if (!legacy.empty())
    r.says = Mode::legacy;
  r.text = fmt::format("hint chains in nf_tables: {}; in x_tables: {}", list_chains(nft),
                       list_chains(legacy));
  return r;
}

Reason rule_count_step(const KernelState& k) {
  Reason r{Rule::rule_count, false, std::nullopt, ""};
  // An unavailable backend holds no rules: counting it as zero is exact.
  const bool nft_known = !k.nft.available || k.nft.rules_counted;
  const bool legacy_known = !k.legacy.available || k.legacy.rules_counted;
  if (!nft_known || !legacy_known) {
    r.text = "rules not counted (an earlier step decided)";
    return r;
  }
  const RuleCount nft = iptables_rules(k.nft);
  const RuleCount legacy = iptables_rules(k.legacy);
  const auto order = compare_counts(nft, legacy);
  std::string_view outcome;
  if (!order) {
    // Not produced by gather_evidence (it counts until the comparison is
    // proven), but a count that proves nothing must not be read as one.
    outcome = " (the counts do not prove which is larger)";
  } else if (std::is_gt(*order)) {
    r.says = Mode::nft;
  } else if (std::is_lt(*order)) {
    r.says = Mode::legacy;
  } else {
    outcome = " (a tie)";
  }
  r.text = fmt::format(
      "iptables rules (ip+ip6, filter/nat/mangle/raw/security): nf_tables {}, x_tables {}{}",
      to_string(nft), to_string(legacy), outcome);
  return r;
}

Reason host_binary_step(const Evidence& ev) {
  Reason r{Rule::host_binary, false, std::nullopt, ""};
  const auto& b = ev.host_iptables;
  if (!b.resolved) {
    r.text = fmt::format("host iptables under {}: {}", ev.host_root, b.note);
    return r;
  }
  if (!b.info) {
    r.text = fmt::format("host iptables {}: {}", b.resolved->path, b.note);
    return r;
  }
  r.says = b.info->mode;
  r.text = fmt::format(
      "host iptables resolves to {}: {}{}{}", b.resolved->path, to_string(b.info->kind),
      b.info->version ? " " + to_string(*b.info->version) : "",
      b.info->kind == BinaryKind::iptables_wrapper ? " (chooses at its first run)" : "");
  return r;
}

Reason kernel_default_step(const KernelState& k) {
  // A module that is not loaded yet is still what the kernel offers.
  const bool nft = k.nft.available || k.nft.loadable;
  Reason r{Rule::kernel_default, false, nft ? Mode::nft : Mode::legacy, ""};
  r.text = k.nft.available  ? "nf_tables is available"
           : k.nft.loadable ? "nf_tables is loadable (its module is not loaded yet)"
                            : fmt::format("nf_tables is not: {}", k.nft.note);
  return r;
}

}  // namespace

std::string_view to_string(Rule r) {
  switch (r) {
    case Rule::override_mode:
      return "override";
    case Rule::hint:
      return "hint";
    case Rule::rule_count:
      return "rule-count";
    case Rule::host_binary:
      return "host-binary";
    case Rule::kernel_default:
      return "kernel-default";
  }
  return "kernel-default";
}

Decision decide(const Evidence& ev, const std::optional<Override>& override_mode) {
  Decision d;
  d.reasons = {override_step(override_mode), hint_step(ev.kernel), rule_count_step(ev.kernel),
               host_binary_step(ev), kernel_default_step(ev.kernel)};
  for (auto& r : d.reasons) {
    if (r.says) {
      r.decided = true;
      d.mode = *r.says;
      d.rule = r.rule;
      break;
    }
  }

  if (!find_hint_chains(ev.kernel.nft).empty() && !find_hint_chains(ev.kernel.legacy).empty())
    d.warnings.emplace_back(
        "hint chains in both backends: kubelet ran in both modes at some time, or a stale "
        "backend was never cleaned; the nf_tables hint wins");

  if (override_mode) {
    // What the evidence alone would say, to tell the operator when they overrule it.
    for (std::size_t i = 1; i < d.reasons.size(); ++i) {
      const auto& r = d.reasons[i];
      if (!r.says) continue;
      if (*r.says != override_mode->mode)
        d.warnings.push_back(fmt::format("{} overrides the evidence: {} says {} ({})",
                                         override_mode->source, to_string(r.rule),
                                         to_string(*r.says), r.text));
      break;
    }
  }
  return d;
}

}  // namespace iptmode
