#include "core/binary.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace iptmode {
namespace {

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// The first "<version> (<mode>)" in the window, e.g. "1.8.9 (nf_tables)". The
// version is what precedes the marker: digits and dots, at most 16 bytes. A
// digit run that reaches the window's start may be the cut end of a longer
// version ("1.8.1|0"), so it counts only where the window starts the file.
std::optional<Version> version_before(std::string_view window, std::string_view marker,
                                      bool whole_from_start) {
  std::size_t from = 0;
  while (true) {
    auto at = window.find(marker, from);
    if (at == std::string_view::npos) return std::nullopt;
    std::size_t begin = at;
    while (begin > 0 && at - begin < 16 &&
           ((window[begin - 1] >= '0' && window[begin - 1] <= '9') || window[begin - 1] == '.'))
      --begin;
    if (begin < at && (begin > 0 || whole_from_start)) {
      if (auto v = parse_version(window.substr(begin, at - begin))) return v;
    }
    from = at + 1;
  }
}

}  // namespace

std::string_view to_string(BinaryKind k) {
  switch (k) {
    case BinaryKind::xtables_nft_multi:
      return "xtables-nft-multi";
    case BinaryKind::xtables_legacy_multi:
      return "xtables-legacy-multi";
    case BinaryKind::iptables_wrapper:
      return "iptables-wrapper";
    case BinaryKind::unknown:
      return "unknown";
  }
  return "unknown";
}

void BinaryScanner::scan(std::string_view w, bool whole_from_start) {
  if (!nft_version_) nft_version_ = version_before(w, " (nf_tables)", whole_from_start);
  if (!legacy_version_) legacy_version_ = version_before(w, " (legacy)", whole_from_start);
  // The kubernetes-sigs wrappers, shell (v1, v2) and Go: all print this when
  // they cannot relink, and the Go one carries its module path.
  wrapper_marker_ = wrapper_marker_ || contains(w, "Unable to redirect iptables binaries") ||
                    contains(w, "iptables-wrapper");
  mentions_legacy_save_ = mentions_legacy_save_ || contains(w, "iptables-legacy-save");
  mentions_nft_save_ = mentions_nft_save_ || contains(w, "iptables-nft-save");
  nft_names_ =
      nft_names_ || contains(w, "xtables-nft-multi") || contains(w, "iptables-nft-restore");
  legacy_names_ = legacy_names_ || contains(w, "xtables-legacy-multi") ||
                  contains(w, "iptables-legacy-restore");
}

void BinaryScanner::feed(std::string_view chunk) {
  if (chunk.empty()) return;
  const bool first = fed_ == 0;
  if (fed_ < 2) {
    const std::size_t n = std::min<std::size_t>(2 - fed_, chunk.size());
    std::memcpy(head_ + fed_, chunk.data(), n);
    is_script_ = fed_ + n == 2 && head_[0] == '#' && head_[1] == '!';
  }
  // A match that straddles the previous chunk and this one is whole in the
  // seam: the kept tail plus this chunk's first kTail bytes.
  if (tail_len_ > 0) {
    char seam[2 * kTail];
    const std::size_t head = std::min(kTail, chunk.size());
    std::memcpy(seam, tail_, tail_len_);
    std::memcpy(seam + tail_len_, chunk.data(), head);
    scan(std::string_view(seam, tail_len_ + head), fed_ == tail_len_);
  }
  scan(chunk, first);
  fed_ += chunk.size();

  // The new tail: the last kTail bytes of (tail + chunk).
  if (chunk.size() >= kTail) {
    std::memcpy(tail_, chunk.data() + chunk.size() - kTail, kTail);
    tail_len_ = kTail;
  } else {
    const std::size_t keep = std::min(tail_len_, kTail - chunk.size());
    std::memmove(tail_, tail_ + tail_len_ - keep, keep);
    std::memcpy(tail_ + keep, chunk.data(), chunk.size());
    tail_len_ = keep + chunk.size();
  }
}

BinaryInfo BinaryScanner::result() const {
  BinaryInfo info;
  info.script = is_script_;
  // A script that runs both saves to compare them is a first-run chooser,
  // whatever it calls itself.
  if (wrapper_marker_ || (is_script_ && mentions_legacy_save_ && mentions_nft_save_)) {
    info.kind = BinaryKind::iptables_wrapper;
    return info;
  }
  if (is_script_) return info;
  if (nft_version_ && !legacy_version_) {
    info = {BinaryKind::xtables_nft_multi, Mode::nft, nft_version_, false};
  } else if (legacy_version_ && !nft_version_) {
    info = {BinaryKind::xtables_legacy_multi, Mode::legacy, legacy_version_, false};
  } else if (!nft_version_ && !legacy_version_) {
    // Builds that print the mode at run time: known by the names they answer to.
    if (nft_names_ && !legacy_names_)
      info = {BinaryKind::xtables_nft_multi, Mode::nft, std::nullopt, false};
    if (legacy_names_ && !nft_names_)
      info = {BinaryKind::xtables_legacy_multi, Mode::legacy, std::nullopt, false};
  }
  return info;
}

BinaryInfo classify_binary(std::string_view bytes) {
  BinaryScanner s;
  s.feed(bytes);
  return s.result();
}

Result<BinaryInfo> read_binary(int fd) {
  BinaryScanner s;
  std::string buf(1 << 20, '\0');
  std::size_t total = 0;
  while (total < kBinaryReadLimit) {
    ssize_t n = ::read(fd, buf.data(), std::min(buf.size(), kBinaryReadLimit - total));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      return fail(std::string("read: ") + std::strerror(e), e);
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    s.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  return s.result();
}

}  // namespace iptmode
