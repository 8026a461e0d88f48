#include "detect/legacy_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <linux/netfilter/x_tables.h>

#include "core/text.h"
#include "detect/file_read.h"
#include "detect/xtables_blob.h"

namespace iptmode {
namespace {

std::vector<std::string> table_names(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    std::string_view name = next_line(text);
    // x_tables names are at most XT_TABLE_MAXNAMELEN - 1 bytes of [a-z_].
    if (!name.empty() && name.size() < XT_TABLE_MAXNAMELEN) out.emplace_back(name);
  }
  return out;
}

Result<std::vector<std::string>> listed(const std::string& names_file) {
  auto text = read_file_bounded(AT_FDCWD, names_file, 64 * 1024);
  if (!text) {
    // No list: the module is not loaded in this kernel, so no table exists.
    if (text.error().errnum == ENOENT) return std::vector<std::string>{};
    return std::unexpected(text.error());
  }
  return table_names(*text);
}

int read_order(const std::string& table) {
  static constexpr std::string_view kOrder[] = {"mangle", "nat", "filter", "raw", "security"};
  for (int i = 0; i < 5; ++i)
    if (table == kOrder[i]) return i;
  return 5;
}

}  // namespace

Result<BackendState> read_legacy(const LegacyReadOptions& opts) {
  auto v4 = listed(opts.proc_net + "/ip_tables_names");
  if (!v4) return std::unexpected(v4.error());
  auto v6 = listed(opts.proc_net + "/ip6_tables_names");
  if (!v6) return std::unexpected(v6.error());

  struct Pending {
    bool v6;
    std::string name;
  };
  std::vector<Pending> todo;
  for (auto& n : *v4) todo.push_back({false, std::move(n)});
  for (auto& n : *v6) todo.push_back({true, std::move(n)});
  std::stable_sort(todo.begin(), todo.end(), [](const Pending& a, const Pending& b) {
    return read_order(a.name) < read_order(b.name);
  });

  BackendState state;
  for (const auto& p : todo) {
    const char* family = p.v6 ? "ip6" : "ip";
    if (opts.stop_at_hint && !find_hint_chains(state).empty()) {
      state.unread.push_back(fmt::format("{} {}", family, p.name));
      continue;
    }
    auto table = read_xtables_table(p.v6, p.name);
    if (!table) return std::unexpected(table.error());
    state.tables.push_back(std::move(*table));
  }
  state.rules_counted = state.unread.empty();
  return state;
}

}  // namespace iptmode
