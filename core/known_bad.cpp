#include "core/known_bad.h"

namespace iptmode {
namespace {

constexpr KnownBad kTable[] = {
    {Mode::nft,
     {1, 8, 0},
     {1, 8, 3},
     "iptables-nft -C does not find rules that exist, so kubelet and kube-proxy append "
     "duplicates on every sync (1.8.3: hangs when nf_tables cannot load)",
     "kubernetes-sigs/iptables-wrappers README v2, \"Additional iptables-nft 1.8.0-1.8.3 "
     "compatibility problems\"; kubernetes/kubernetes#82361"},
    {Mode::nft,
     {1, 8, 10},
     {1, 8, 10},
     "iptables-nft -C answers \"Bad rule\" for rules that exist, so rules are appended again; "
     "fixed in 1.8.11",
     "cloudnativelabs/kube-router#1676, #1789"},
};

}  // namespace

std::span<const KnownBad> known_bad_versions() {
  return kTable;
}

std::vector<KnownBad> known_bad_for(Mode backend, const Version& v) {
  std::vector<KnownBad> out;
  for (const auto& row : kTable)
    if (row.backend == backend && row.first <= v && v <= row.last) out.push_back(row);
  return out;
}

bool nft_reader_misreads(const Version& reader, const Version& writer) {
  return reader <= Version{1, 8, 7} && writer >= Version{1, 8, 8};
}

}  // namespace iptmode
