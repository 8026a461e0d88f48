#include "repair/restore.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "repair/apply_nft.h"
#include "repair/backup.h"

namespace iptmode::repair {
namespace {

std::set<std::string> table_names(const std::string& save) {
  std::set<std::string> out;
  std::istringstream in(save);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("*")) out.insert(line.substr(1));
  return out;
}

Result<std::string> read_whole(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(fmt::format("{}: cannot read it (is BACKUP the path a repair printed?)", path));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

std::string backup_prefix(const std::string& backup) {
  for (const char* s :
       {".plan.json", ".nft.ip6.rules", ".legacy.ip6.rules", ".nft.rules", ".legacy.rules"})
    if (backup.ends_with(s)) return backup.substr(0, backup.size() - std::string_view(s).size());
  return backup;
}

Result<void> restore_backup(const Tools& t, const std::string& backup) {
  const std::string prefix = backup_prefix(backup);
  std::vector<std::string> texts;
  // Every file read before anything changes: a missing one changes nothing.
  for (const auto& part : backup_parts()) {
    auto text = read_whole(prefix + part.suffix);
    if (!text) return std::unexpected(text.error());
    texts.push_back(std::move(*text));
  }
  const auto parts = backup_parts();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    if (part.mode == Mode::nft) {
      auto now = run_save(t, part.mode, part.family);
      if (!now) return std::unexpected(now.error());
      const auto keep = table_names(texts[i]);
      std::vector<std::pair<std::string, std::string>> extra;
      for (const auto& name : table_names(*now))
        if (!keep.contains(name)) extra.emplace_back(part.family, name);
      if (auto r = delete_nft_tables(extra); !r) return r;
    }
    if (table_names(texts[i]).empty()) continue;
    std::vector<std::string> args{"--counters"};
    if (part.mode == Mode::legacy) args.emplace_back("-w");
    if (auto r = run_restore(t, part.mode, part.family, texts[i], args); !r) return r;
  }
  return {};
}

}  // namespace iptmode::repair
