#include "core/version.h"

#include <charconv>

namespace iptmode {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Parses N(.N(.N)?)? at the start of s; the rest must not continue the number.
std::optional<Version> parse_dotted(std::string_view s) {
  int parts[3] = {0, 0, 0};
  std::size_t pos = 0;
  int count = 0;
  while (count < 3) {
    const char* begin = s.data() + pos;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(begin, end, parts[count]);
    if (ec != std::errc{} || ptr == begin) return std::nullopt;
    pos = static_cast<std::size_t>(ptr - s.data());
    ++count;
    if (pos + 1 < s.size() && s[pos] == '.' && is_digit(s[pos + 1])) {
      ++pos;
      continue;
    }
    break;
  }
  if (count < 2) return std::nullopt;
  // "1.8.9.1" or "1.8.9x": not a version we know how to compare.
  if (pos < s.size() && (is_digit(s[pos]) || s[pos] == '.' || (s[pos] >= 'a' && s[pos] <= 'z') ||
                         (s[pos] >= 'A' && s[pos] <= 'Z')))
    return std::nullopt;
  return Version{parts[0], parts[1], parts[2]};
}

}  // namespace

std::optional<Version> parse_version(std::string_view s) {
  // Take the first whitespace-separated word that starts with a digit or 'v'+digit.
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n') ++j;
    std::string_view word = s.substr(i, j - i);
    if (!word.empty() && word[0] == 'v') word.remove_prefix(1);
    if (!word.empty() && is_digit(word[0])) {
      // A Debian epoch ("1:") and a package release ("-17.el8") go.
      if (auto colon = word.find(':'); colon != std::string_view::npos)
        word.remove_prefix(colon + 1);
      if (auto dash = word.find('-'); dash != std::string_view::npos) word = word.substr(0, dash);
      return parse_dotted(word);
    }
    i = j;
  }
  return std::nullopt;
}

// Plain std::to_string: this file is linked into the static shim, which
// carries no formatting library.
std::string to_string(const Version& v) {
  return std::to_string(v.major) + '.' + std::to_string(v.minor) + '.' + std::to_string(v.patch);
}

}  // namespace iptmode
