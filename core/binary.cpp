#include "core/binary.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace iptmode {
namespace {

// The format `iptables -V` prints with, where the version is a separate
// string (the split layout): nft, legacy.
constexpr std::string_view kSplitFormat[2] = {"%s v%s (nf_tables)", "%s v%s (legacy)"};

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

std::string_view to_string(VersionForm f) {
  switch (f) {
    case VersionForm::literal:
      return "literal";
    case VersionForm::split:
      return "split";
    case VersionForm::none:
      return "none";
  }
  return "none";
}

void BinaryScanner::scan(std::string_view w, bool whole_from_start, std::size_t base) {
  if (!nft_version_) nft_version_ = version_before(w, " (nf_tables)", whole_from_start);
  if (!legacy_version_) legacy_version_ = version_before(w, " (legacy)", whole_from_start);
  scan_strings(w, base);
  // The kubernetes-sigs wrappers, shell (v1, v2) and Go: all print this when
  // they cannot relink, and the Go one carries its module path.
  named_wrapper_ = named_wrapper_ || contains(w, "iptables-wrapper");
  wrapper_marker_ =
      wrapper_marker_ || named_wrapper_ || contains(w, "Unable to redirect iptables binaries");
  wrapper_marks_.note(w);
  mentions_legacy_save_ = mentions_legacy_save_ || contains(w, "iptables-legacy-save");
  mentions_nft_save_ = mentions_nft_save_ || contains(w, "iptables-nft-save");
  nft_names_ =
      nft_names_ || contains(w, "xtables-nft-multi") || contains(w, "iptables-nft-restore");
  legacy_names_ = legacy_names_ || contains(w, "xtables-legacy-multi") ||
                  contains(w, "iptables-legacy-restore");
}

// The nearest lone version to a format string wins; at equal distance, the
// one earlier in the file (so the answer does not depend on chunking).
void BinaryScanner::consider(Split& s, std::size_t format_at, const Lone& lone) {
  const std::size_t d = format_at > lone.at ? format_at - lone.at : lone.at - format_at;
  if (d > kSplitReach) return;
  if (!s.v || d < s.dist || (d == s.dist && lone.at < s.at)) {
    s.v = lone.v;
    s.dist = d;
    s.at = lone.at;
  }
}

// Every string that starts after a NUL, in file order: the split layout's
// format strings and lone "1.X.Y" versions. A string that runs to the
// window's end is left for the next window (the seam sees it whole);
// `next_event_` keeps a string seen in two windows from counting twice.
void BinaryScanner::scan_strings(std::string_view w, std::size_t base) {
  const char* const end = w.data() + w.size();
  const char* p = w.data();
  while (p < end) {
    const void* nul = std::memchr(p, '\0', static_cast<std::size_t>(end - p));
    if (nul == nullptr) return;
    p = static_cast<const char*>(nul) + 1;
    if (p >= end || *p == '\0') continue;
    const std::size_t at = base + static_cast<std::size_t>(p - w.data());
    if (at < next_event_) continue;
    const std::string_view rest(p, static_cast<std::size_t>(end - p));
    bool format = false;
    for (int m = 0; m < 2; ++m) {
      if (!rest.starts_with(kSplitFormat[m])) continue;
      format = true;
      next_event_ = at + 1;
      split_[m].seen = true;
      split_[m].last_format = at;
      for (int i = 0; i < ring_len_; ++i) consider(split_[m], at, ring_[i]);
    }
    if (format || *p < '0' || *p > '9') continue;
    std::size_t n = 0;
    int dots = 0;
    while (n < rest.size() && n < 16 && ((rest[n] >= '0' && rest[n] <= '9') || rest[n] == '.'))
      dots += rest[n++] == '.';
    if (n == rest.size()) return;  // cut: whole in the next window
    if (rest[n] != '\0' || dots != 2 || rest[n - 1] == '.') continue;
    auto v = parse_version(rest.substr(0, n));
    if (!v || v->major != 1) continue;  // every iptables is 1.x
    next_event_ = at + 1;
    const Lone lone{at, *v};
    ring_[ring_next_] = lone;
    ring_next_ = (ring_next_ + 1) % kRing;
    ring_len_ = std::min(ring_len_ + 1, kRing);
    for (auto& s : split_)
      if (s.seen) consider(s, s.last_format, lone);
  }
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
    scan(std::string_view(seam, tail_len_ + head), fed_ == tail_len_, fed_ - tail_len_);
  }
  scan(chunk, first, fed_);
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
    info.wrapper = classify_wrapper(wrapper_marks_, is_script_,
                                    mentions_legacy_save_ && mentions_nft_save_, named_wrapper_);
    if (info.wrapper == WrapperKind::none) info.wrapper = WrapperKind::unknown;
    return info;
  }
  if (is_script_) return info;
  const bool nft = nft_version_ || split_[0].seen;
  const bool legacy = legacy_version_ || split_[1].seen;
  auto known = [&](BinaryKind kind, Mode mode, const std::optional<Version>& literal,
                   const Split& split) {
    info.kind = kind;
    info.mode = mode;
    if (literal) {
      info.version = literal;
      info.version_form = VersionForm::literal;
    } else if (split.v) {
      info.version = split.v;
      info.version_form = VersionForm::split;
    }
  };
  if (nft && !legacy) {
    known(BinaryKind::xtables_nft_multi, Mode::nft, nft_version_, split_[0]);
  } else if (legacy && !nft) {
    known(BinaryKind::xtables_legacy_multi, Mode::legacy, legacy_version_, split_[1]);
  } else if (!nft && !legacy) {
    // Builds that print the mode at run time: known by the names they answer to.
    if (nft_names_ && !legacy_names_) {
      info.kind = BinaryKind::xtables_nft_multi;
      info.mode = Mode::nft;
    }
    if (legacy_names_ && !nft_names_) {
      info.kind = BinaryKind::xtables_legacy_multi;
      info.mode = Mode::legacy;
    }
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
