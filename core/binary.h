// What an iptables binary is and which backend it drives, read from its
// bytes without running it. Two layouts carry the version (docs/detect.md,
// "Reading a binary"):
//  - literal (iptables >= 1.8.8): one string, "1.8.9 (nf_tables)" or
//    "1.8.9 (legacy)";
//  - split (<= 1.8.7, e.g. Debian bullseye, RHEL 8): the version alone as a
//    string ("1.8.7") and, a few hundred bytes away, the format
//    "%s v%s (nf_tables)" or "%s v%s (legacy)" that -V prints it with.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "core/mode.h"
#include "core/version.h"
#include "core/wrapper.h"

namespace iptmode {

enum class BinaryKind {
  xtables_nft_multi,
  xtables_legacy_multi,
  iptables_wrapper,  // a wrapper script or program that picks a mode when run (core/wrapper.h)
  unknown,
};

// Where the version came from; `none` with a known mode means the mode's
// format was found but no version string within kSplitReach of it.
enum class VersionForm { none, literal, split };

struct BinaryInfo {
  BinaryKind kind = BinaryKind::unknown;
  std::optional<Mode> mode;  // none for a wrapper or an unknown file
  std::optional<Version> version;
  bool script = false;  // starts with "#!" (the shell iptables-wrapper, not the Go one)
  VersionForm version_form = VersionForm::none;
  WrapperKind wrapper = WrapperKind::none;  // which family, for kind iptables_wrapper
};

std::string_view to_string(BinaryKind k);
std::string_view to_string(VersionForm f);

// How far from the split format a lone version string may lie and still be
// its version. Debian bullseye's 1.8.7: 694 bytes (nft), 595 (legacy).
inline constexpr std::size_t kSplitReach = 4096;

// Files larger than this are not read to the end; what is in the first
// kBinaryReadLimit bytes decides.
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
  static constexpr int kRing = 8;            // lone versions remembered before a format
  struct Lone {
    std::size_t at;  // file offset of its first byte
    Version v;
  };
  struct Split {
    bool seen = false;
    std::size_t last_format = 0;  // file offset of the latest format string
    std::optional<Version> v;
    std::size_t dist = 0;
    std::size_t at = 0;
  };
  // `whole_from_start`: the window begins at byte 0 of the file, so a version
  // touching its start is whole. `base`: the window's file offset.
  void scan(std::string_view window, bool whole_from_start, std::size_t base);
  void scan_strings(std::string_view window, std::size_t base);
  void consider(Split& s, std::size_t format_at, const Lone& lone);
  Lone ring_[kRing] = {};
  int ring_len_ = 0;
  int ring_next_ = 0;
  std::size_t next_event_ = 0;  // strings before this offset were handled already
  Split split_[2];              // nft, legacy
  char tail_[kTail] = {};
  std::size_t tail_len_ = 0;
  std::size_t fed_ = 0;  // bytes seen so far
  char head_[2] = {};    // the first two bytes, for "#!", however the file is chunked
  bool is_script_ = false;
  bool mentions_legacy_save_ = false;
  bool mentions_nft_save_ = false;
  bool wrapper_marker_ = false;
  bool named_wrapper_ = false;
  WrapperMarks wrapper_marks_;
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
