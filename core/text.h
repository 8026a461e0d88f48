// Allocation-free helpers for the line-oriented files iptmode reads
// (configs, /proc lists, firewalld.conf, k0s.yaml). Header-only: the static
// shim uses them on its fast path too.
#pragma once

#include <cstddef>
#include <string_view>

namespace iptmode {

// Without leading and trailing spaces, tabs and carriage returns.
inline std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// ASCII letters compared without regard to case (the keys and values of
// Felix's environment, kube-proxy's mode, firewalld's backend).
inline bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

// Takes the next line off the front of `text`, without its '\n'.
inline std::string_view next_line(std::string_view& text) {
  const auto nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  return line;
}

// One line of a `key = value` file, with `#` comments.
struct ConfigLine {
  enum Kind { blank, pair, malformed } kind;
  std::string_view key;
  std::string_view value;
};

inline ConfigLine parse_config_line(std::string_view line) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  line = trim(line);
  if (line.empty()) return {ConfigLine::blank, {}, {}};
  const auto eq = line.find('=');
  if (eq == std::string_view::npos) return {ConfigLine::malformed, line, {}};
  return {ConfigLine::pair, trim(line.substr(0, eq)), trim(line.substr(eq + 1))};
}

}  // namespace iptmode
