// libFuzzer target: parse_k0s_yaml (spec.network.podCIDR / serviceCIDR) on
// arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/k0s_config.h"

using namespace iptmode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ClusterCidrs c;
  parse_k0s_yaml(text, c);
  // Scalars fold and unescape, so a value is not a slice of the text; it is
  // never longer than it, and text that does not parse sets nothing.
  for (const std::string* v : {&c.pod, &c.service})
    if (v->size() > text.size()) __builtin_trap();
  if (!c.error.empty() && (!c.pod.empty() || !c.service.empty())) __builtin_trap();
  return 0;
}
