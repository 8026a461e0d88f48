#include "repair/save_text.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace iptmode::repair {

const SavedChain* SavedTable::chain(std::string_view n) const {
  for (const auto& c : chains)
    if (c.name == n) return &c;
  return nullptr;
}

std::size_t SavedTable::rule_count(std::string_view c) const {
  return static_cast<std::size_t>(
      std::count_if(rules.begin(), rules.end(), [&](const SavedRule& r) { return r.chain == c; }));
}

std::vector<std::string> split_rule(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false, quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (ch == '"') {
      quoted = !quoted;
      in_word = true;
    } else if ((ch == ' ' || ch == '\t') && !quoted) {
      if (in_word) out.push_back(std::exchange(word, {}));
      in_word = false;
    } else {
      word += ch;
      in_word = true;
    }
  }
  if (in_word) out.push_back(word);
  return out;
}

std::string rule_target(const std::vector<std::string>& w) {
  for (std::size_t i = 0; i + 1 < w.size(); ++i)
    if (w[i] == "-j" || w[i] == "--jump" || w[i] == "-g" || w[i] == "--goto") return w[i + 1];
  return {};
}

namespace {

// "# Table `filter' is incompatible, use 'nft' tool." (iptables 1.8.x)
std::string incompatible_table(std::string_view line) {
  const auto open = line.find('`');
  const auto close = line.find('\'', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos ||
      line.find("incompatible") == std::string_view::npos)
    return {};
  return std::string(line.substr(open + 1, close - open - 1));
}

}  // namespace

Result<SavedRuleset> parse_save(std::string_view text, std::string family) {
  SavedRuleset rs{std::move(family), {}};
  SavedTable* cur = nullptr;
  std::vector<std::string> incompatible;
  std::size_t lineno = 0;
  auto bad = [&](std::string_view line) {
    return fail(fmt::format("{}tables-save output, line {}: cannot read \"{}\"",
                            rs.family == "ip6" ? "ip6" : "ip", lineno, line));
  };
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    if (line.empty()) continue;
    if (line.starts_with("#")) {
      if (auto t = incompatible_table(line); !t.empty()) incompatible.push_back(t);
      continue;
    }
    if (line.starts_with("*")) {
      rs.tables.push_back(SavedTable{std::string(line.substr(1)), false, {}, {}});
      cur = &rs.tables.back();
      continue;
    }
    if (!cur) return bad(line);
    if (line == "COMMIT") {
      cur = nullptr;
    } else if (line.starts_with(":")) {
      auto words = split_rule(line.substr(1));
      if (words.size() < 2) return bad(line);
      cur->chains.push_back(SavedChain{words[0], words[1]});
    } else if (line.starts_with("-A ")) {
      auto words = split_rule(line);
      if (words.size() < 2) return bad(line);
      SavedRule r{words[1], cur->rule_count(words[1]), std::string(line), rule_target(words)};
      cur->rules.push_back(std::move(r));
    } else {
      return bad(line);
    }
  }
  for (auto& t : rs.tables)
    t.incompatible =
        std::find(incompatible.begin(), incompatible.end(), t.name) != incompatible.end();
  return rs;
}

}  // namespace iptmode::repair
