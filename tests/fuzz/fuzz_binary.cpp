// libFuzzer target: BinaryScanner fed in chunks must classify a file exactly
// as classify_binary does on the whole buffer. The input's first byte says
// how many chunk-size bytes follow (1..8); each of those is a chunk size
// (1..256), used in turn until the rest of the input is fed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/binary.h"

using namespace iptmode;

namespace {

bool same(const BinaryInfo& a, const BinaryInfo& b) {
  return a.kind == b.kind && a.mode == b.mode && a.version == b.version && a.script == b.script &&
         a.version_form == b.version_form;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t n_sizes = std::min<std::size_t>(data[0] % 8 + 1, size - 1);
  std::size_t sizes[8] = {};
  for (std::size_t i = 0; i < n_sizes; ++i) sizes[i] = std::size_t{data[1 + i]} + 1;
  if (n_sizes == 0) sizes[0] = 1;
  const std::string_view file(reinterpret_cast<const char*>(data) + 1 + n_sizes,
                              size - 1 - n_sizes);

  const BinaryInfo whole = classify_binary(file);

  BinaryScanner s;
  std::size_t at = 0;
  for (std::size_t k = 0; at < file.size(); ++k) {
    const std::size_t len =
        std::min(sizes[k % std::max<std::size_t>(n_sizes, 1)], file.size() - at);
    s.feed(file.substr(at, len));
    if (k % 3 == 0) s.feed(std::string_view{});  // empty chunks change nothing
    at += len;
  }
  const BinaryInfo chunked = s.result();
  if (!same(whole, chunked)) __builtin_trap();

  // Internal consistency of a result.
  if (whole.kind == BinaryKind::xtables_nft_multi && whole.mode != Mode::nft) __builtin_trap();
  if (whole.kind == BinaryKind::xtables_legacy_multi && whole.mode != Mode::legacy)
    __builtin_trap();
  if ((whole.kind == BinaryKind::iptables_wrapper || whole.kind == BinaryKind::unknown) &&
      whole.mode)
    __builtin_trap();
  return 0;
}
