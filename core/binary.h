// What an iptables binary is and which backend it drives, read from its
// bytes without running it. xtables multi binaries carry their version and
// mode as one string, e.g. "1.8.9 (nf_tables)" or "1.8.9 (legacy)".
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "core/mode.h"
#include "core/version.h"

namespace iptmode {

enum class BinaryKind {
  xtables_nft_multi,
  xtables_legacy_multi,
  iptables_wrapper,  // kubernetes-sigs iptables-wrapper (shell or Go): picks a mode at first run
  unknown,
};

struct BinaryInfo {
  BinaryKind kind = BinaryKind::unknown;
  std::optional<Mode> mode;  // none for a wrapper or an unknown file
  std::optional<Version> version;
  bool script = false;  // starts with "#!" (the shell iptables-wrapper, not the Go one)
};

std::string_view to_string(BinaryKind k);

// Files larger than this are not read to the end; what is in the first
// kReadLimit bytes decides.
inline constexpr std::size_t kBinaryReadLimit = 64 * 1024 * 1024;

// Incremental classifier: feed the file's bytes in order, in chunks of any
// size, then ask for the result. It allocates nothing (the shim runs it on
// its fast path) and keeps only a short tail between chunks.
class BinaryScanner {
 public:
  void feed(std::string_view chunk);
  BinaryInfo result() const;

 private:
  static constexpr std::size_t kTail = 128;  // longer than any pattern plus its version
  // `whole_from_start`: the window begins at byte 0 of the file, so a version
  // touching its start is whole.
  void scan(std::string_view window, bool whole_from_start);
  char tail_[kTail] = {};
  std::size_t tail_len_ = 0;
  std::size_t fed_ = 0;  // bytes seen so far
  char head_[2] = {};    // the first two bytes, for "#!", however the file is chunked
  bool is_script_ = false;
  bool mentions_legacy_save_ = false;
  bool mentions_nft_save_ = false;
  bool wrapper_marker_ = false;
  bool nft_names_ = false;
  bool legacy_names_ = false;
  std::optional<Version> nft_version_;
  std::optional<Version> legacy_version_;
};

// Convenience over a whole buffer (tests, fuzzing).
BinaryInfo classify_binary(std::string_view bytes);

// Reads the open file in chunks, at most kBinaryReadLimit bytes.
Result<BinaryInfo> read_binary(int fd);

}  // namespace iptmode
