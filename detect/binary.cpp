#include "detect/binary.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace iptmode {
namespace {

// Longest pattern plus the longest version we look back for; a match that
// straddles two chunks is always whole in tail + chunk.
constexpr std::size_t kTail = 128;

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// Every "<version> (<mode>)" in the window, e.g. "1.8.9 (nf_tables)". The
// version is what precedes the marker: digits and dots, at most 16 bytes.
std::optional<Version> version_before(std::string_view window, std::string_view marker) {
  std::size_t from = 0;
  while (true) {
    auto at = window.find(marker, from);
    if (at == std::string_view::npos) return std::nullopt;
    std::size_t begin = at;
    while (begin > 0 && at - begin < 16 &&
           ((window[begin - 1] >= '0' && window[begin - 1] <= '9') || window[begin - 1] == '.'))
      --begin;
    if (begin < at) {
      if (auto v = parse_version(window.substr(begin, at - begin))) return v;
    }
    from = at + 1;
  }
}

}  // namespace

std::string_view to_string(BinaryKind k) {
  switch (k) {
    case BinaryKind::xtables_nft_multi: return "xtables-nft-multi";
    case BinaryKind::xtables_legacy_multi: return "xtables-legacy-multi";
    case BinaryKind::iptables_wrapper: return "iptables-wrapper";
    case BinaryKind::unknown: return "unknown";
  }
  return "unknown";
}

void BinaryScanner::scan(std::string_view w) {
  if (!nft_version_) nft_version_ = version_before(w, " (nf_tables)");
  if (!legacy_version_) legacy_version_ = version_before(w, " (legacy)");
  // The kubernetes-sigs wrappers, shell (v1, v2) and Go: all print this when
  // they cannot relink, and the Go one carries its module path.
  wrapper_marker_ = wrapper_marker_ || contains(w, "Unable to redirect iptables binaries") ||
                    contains(w, "iptables-wrapper");
  mentions_legacy_save_ = mentions_legacy_save_ || contains(w, "iptables-legacy-save");
  mentions_nft_save_ = mentions_nft_save_ || contains(w, "iptables-nft-save");
  nft_names_ = nft_names_ || contains(w, "xtables-nft-multi") || contains(w, "iptables-nft-restore");
  legacy_names_ =
      legacy_names_ || contains(w, "xtables-legacy-multi") || contains(w, "iptables-legacy-restore");
}

void BinaryScanner::feed(std::string_view chunk) {
  if (chunk.empty()) return;
  if (!started_) {
    started_ = true;
    is_script_ = chunk.starts_with("#!");
  }
  std::string window = tail_;
  window.append(chunk);
  scan(window);
  tail_ = window.size() > kTail ? window.substr(window.size() - kTail) : window;
}

BinaryInfo BinaryScanner::result() const {
  BinaryInfo info;
  // A script that runs both saves to compare them is a first-run chooser,
  // whatever it calls itself.
  if (wrapper_marker_ || (is_script_ && mentions_legacy_save_ && mentions_nft_save_)) {
    info.kind = BinaryKind::iptables_wrapper;
    return info;
  }
  if (is_script_) return info;
  if (nft_version_ && !legacy_version_) {
    info = {BinaryKind::xtables_nft_multi, Mode::nft, nft_version_};
  } else if (legacy_version_ && !nft_version_) {
    info = {BinaryKind::xtables_legacy_multi, Mode::legacy, legacy_version_};
  } else if (!nft_version_ && !legacy_version_) {
    // Builds that print the mode at run time: known by the names they answer to.
    if (nft_names_ && !legacy_names_) info = {BinaryKind::xtables_nft_multi, Mode::nft, std::nullopt};
    if (legacy_names_ && !nft_names_)
      info = {BinaryKind::xtables_legacy_multi, Mode::legacy, std::nullopt};
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
      return fail(fmt::format("read: {}", std::strerror(e)), e);
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    s.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  return s.result();
}

}  // namespace iptmode
