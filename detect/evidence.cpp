#include "detect/evidence.h"

#include <future>

#include "detect/legacy_reader.h"
#include "detect/nft_reader.h"

namespace iptmode {

Result<Evidence> gather_evidence(const GatherOptions& opts) {
  Evidence ev;
  ev.host_root = opts.host_root;

  const ModuleAvailability mods = read_module_availability(opts.host_root);
  if (mods.nft) {
    auto nft = read_nft(false);
    if (!nft) return std::unexpected(nft.error());
    ev.kernel.nft = std::move(*nft);
  } else {
    ev.kernel.nft.available = false;
    ev.kernel.nft.note = mods.nft_note;
    ev.kernel.nft.loadable = mods.nft_loadable;
  }
  // Counting nf_tables rules costs one dump per chain, so it runs on a thread
  // while x_tables and /proc are read here (libiptc stays on this thread).
  // Whether an x_tables hint makes the counts unneeded is only known after
  // that read, so they are taken unless an nf_tables hint decides.
  const bool nft_hinted = !find_hint_chains(ev.kernel.nft).empty();
  std::future<Result<void>> nft_counts;
  if (ev.kernel.nft.available && (opts.always_count_rules || !nft_hinted))
    nft_counts = std::async(std::launch::async, [&] { return count_nft_rules(ev.kernel.nft); });
  auto join_counts = [&]() -> Result<void> {
    return nft_counts.valid() ? nft_counts.get() : Result<void>{};
  };

  if (mods.legacy) {
    // A hint in nf_tables decides whatever x_tables holds, but reading on to
    // the first x_tables hint still catches hints in both backends.
    auto legacy = read_legacy({.proc_net = "/proc/net", .stop_at_hint = !opts.always_count_rules});
    if (!legacy) {
      (void)join_counts();
      return std::unexpected(legacy.error());
    }
    ev.kernel.legacy = std::move(*legacy);
  } else {
    ev.kernel.legacy.available = false;
    ev.kernel.legacy.note = mods.legacy_note;
  }

  if (auto root = open_root(opts.host_root)) {
    ev.host_iptables = inspect_binary(root->get(), kDefaultPath, "iptables");
  } else {
    (void)join_counts();
    return std::unexpected(root.error());
  }

  std::vector<std::string> names = opts.component_names;
  if (names.empty()) names.assign(std::begin(kDefaultComponents), std::end(kDefaultComponents));
  auto comps = scan_components(names);
  auto counted = join_counts();
  if (!comps) return std::unexpected(comps.error());
  if (!counted) return std::unexpected(counted.error());
  ev.components = std::move(*comps);
  return ev;
}

}  // namespace iptmode
