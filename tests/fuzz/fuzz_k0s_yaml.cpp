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
  // What it reads is a piece of one line of the text.
  for (const std::string* v : {&c.pod, &c.service}) {
    if (v->empty()) continue;
    if (text.find(*v) == std::string_view::npos) __builtin_trap();
    if (v->find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
