// iptables versions known to break Kubernetes, each row with its source, and
// the nft reader/writer rule (netfilter bugzilla 1632).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/mode.h"
#include "core/version.h"

namespace iptmode {

struct KnownBad {
  Mode backend;
  Version first;  // inclusive
  Version last;   // inclusive
  std::string_view problem;
  std::string_view source;
};

std::span<const KnownBad> known_bad_versions();

// The rows that cover `v` on `backend`.
std::vector<KnownBad> known_bad_for(Mode backend, const Version& v);

// Rules written by iptables-nft >= 1.8.8 are misread by iptables-nft <= 1.8.7
// (bugzilla 1632): true when `reader` would misread what `writer` wrote.
bool nft_reader_misreads(const Version& reader, const Version& writer);

inline constexpr std::string_view kNftSkewSource =
    "https://bugzilla.netfilter.org/show_bug.cgi?id=1632";

}  // namespace iptmode
