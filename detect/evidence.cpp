#include "detect/evidence.h"

#include "detect/legacy_reader.h"
#include "detect/nft_reader.h"

namespace iptmode {

Result<Evidence> gather_evidence(const GatherOptions& opts) {
  Evidence ev;
  ev.host_root = opts.host_root;

  const ModuleAvailability mods = read_module_availability(opts.host_root);
  if (mods.nft) {
    // The audit lists every chain (its report shows them, with owners);
    // detect reads only what the decision needs.
    auto nft = opts.always_count_rules ? read_nft(false) : read_nft_for_decision();
    if (!nft) return std::unexpected(nft.error());
    ev.kernel.nft = std::move(*nft);
  } else {
    ev.kernel.nft.available = false;
    ev.kernel.nft.note = mods.nft_note;
    ev.kernel.nft.loadable = mods.nft_loadable;
  }
  // x_tables first: libiptc hands out each table whole, so its count is
  // exact and comes with the chains (hints) anyway. nf_tables is then counted
  // only as far as the comparison needs: until it passes that count (usually
  // its first rule), or to its end, which proves a tie or a loss exactly.
  const bool nft_hinted = !find_hint_chains(ev.kernel.nft).empty();
  if (mods.legacy) {
    // A hint in nf_tables decides whatever x_tables holds, but reading on to
    // the first x_tables hint still catches hints in both backends.
    auto legacy = read_legacy({.proc_net = "/proc/net", .stop_at_hint = !opts.always_count_rules});
    if (!legacy) return std::unexpected(legacy.error());
    ev.kernel.legacy = std::move(*legacy);
  } else {
    ev.kernel.legacy.available = false;
    ev.kernel.legacy.note = mods.legacy_note;
  }
  // The audit's findings compare the two counts and name the stray one, so
  // it counts as detect does: a count above the other's needs no more.
  const bool legacy_hinted = !find_hint_chains(ev.kernel.legacy).empty();
  const bool hint_decides = nft_hinted || legacy_hinted;
  if (ev.kernel.nft.available && (opts.always_count_rules || !hint_decides)) {
    // An unavailable x_tables holds exactly none; a partly read one (a hint
    // ended the read) has no count to compare with, so nf_tables is counted whole.
    std::optional<std::uint64_t> stop_above;
    if (!ev.kernel.legacy.available) stop_above = 0;
    if (ev.kernel.legacy.available && ev.kernel.legacy.rules_counted)
      stop_above = iptables_rule_count(ev.kernel.legacy);
    if (auto r = count_nft_rules(ev.kernel.nft, stop_above); !r) return std::unexpected(r.error());
  }

  if (auto root = open_root(opts.host_root)) {
    ev.host_iptables = inspect_binary(root->get(), kDefaultPath, "iptables");
  } else {
    return std::unexpected(root.error());
  }

  std::vector<std::string> names = opts.component_names;
  if (names.empty()) names.assign(std::begin(kDefaultComponents), std::end(kDefaultComponents));
  auto comps = scan_components(names, "/proc", opts.limits);
  if (!comps) return std::unexpected(comps.error());
  ev.components = std::move(*comps);
  return ev;
}

}  // namespace iptmode
