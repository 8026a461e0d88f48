#include "detect/k3s_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "detect/config_read.h"
#include "detect/flags.h"
#include "detect/in_root.h"
#include "detect/procfs.h"
#include "detect/yaml_walk.h"

namespace iptmode {
namespace {

// A k3s config file is a few KiB; more than this is not one.
constexpr std::size_t kK3sConfigLimit = 256 * 1024;

// What Go's yaml.v2 makes of a plain scalar, as k3s then prints it with
// convert.ToString: YAML 1.1 booleans become true/false, null becomes "".
std::string as_go_string(const YamlNode& n) {
  std::string v(n.value);
  if (!n.plain) return v;
  static constexpr std::array<std::string_view, 11> kTrue = {
      "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"};
  static constexpr std::array<std::string_view, 11> kFalse = {
      "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"};
  static constexpr std::array<std::string_view, 4> kNull = {"~", "null", "Null", "NULL"};
  auto in = [&](const auto& set) { return std::find(set.begin(), set.end(), v) != set.end(); };
  if (in(kTrue)) return "true";
  if (in(kFalse)) return "false";
  if (in(kNull)) return "";
  return v;
}

bool yaml_name(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    if (name.size() < suffix.size()) return false;
    auto tail = name.substr(name.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  };
  return ends(".yaml") || ends(".yml");
}

}  // namespace

Result<std::vector<K3sConfigValue>> parse_k3s_config(std::string_view text) {
  std::vector<K3sConfigValue> out;
  auto error = walk_yaml(text, [&](const std::vector<YamlFrame>& f, const YamlNode& n) {
    if (n.is_key) {
      if (f.size() != 1 || !f[0].mapping) return;
      K3sConfigValue v;
      v.key = f[0].key;
      if (v.key.ends_with('+')) {
        v.key.pop_back();
        v.append = true;
      }
      out.push_back(std::move(v));
      return;
    }
    const bool scalar = n.kind == YamlNode::Kind::scalar || n.kind == YamlNode::Kind::alias;
    // A mapping is no k3s flag's value (k3s would pass Go's text of it):
    // the key is left out, not turned into an empty flag.
    if (f.size() == 1 && f[0].mapping && !out.empty() && n.kind == YamlNode::Kind::mapping) {
      out.pop_back();
      return;
    }
    if (f.size() == 1 && f[0].mapping && !out.empty()) {
      if (scalar) out.back().values.push_back(as_go_string(n));
      out.back().list = n.kind == YamlNode::Kind::sequence;
    } else if (f.size() == 2 && f[0].mapping && !f[1].mapping && scalar && !out.empty()) {
      out.back().values.push_back(as_go_string(n));  // an item of a top-level list
    }
  });
  if (error) return fail(*error, EINVAL);
  return out;
}

std::vector<std::string> k3s_config_flags(const std::vector<std::vector<K3sConfigValue>>& files) {
  std::vector<std::string> order;
  std::map<std::string, K3sConfigValue> merged;
  for (const auto& file : files)
    for (const auto& v : file) {
      auto it = merged.find(v.key);
      if (it == merged.end()) {
        order.push_back(v.key);
        merged.emplace(v.key, v);
      } else if (v.append) {
        // k3s's toSlice: what was there and what is added, as one list.
        it->second.list = true;
        it->second.values.insert(it->second.values.end(), v.values.begin(), v.values.end());
      } else {
        it->second = v;
      }
    }
  std::vector<std::string> flags;
  for (const auto& key : order) {
    const auto& v = merged.at(key);
    const std::string prefix = key.size() == 1 ? "-" : "--";
    if (v.list) {
      for (const auto& item : v.values) flags.push_back(fmt::format("{}{}={}", prefix, key, item));
    } else {
      flags.push_back(
          fmt::format("{}{}={}", prefix, key, v.values.empty() ? std::string() : v.values.front()));
    }
  }
  return flags;
}

std::string k3s_config_path(const std::vector<std::string>& argv, std::string_view environ) {
  if (auto e = env_value(environ, "K3S_CONFIG_FILE"); e && !e->empty()) return *e;
  if (auto c = flag_value(argv, "config"); c && !c->empty()) return *c;
  if (auto c = flag_value(argv, "c"); c && !c->empty()) return *c;
  return std::string(kK3sDefaultConfig);
}

std::vector<std::string> k3s_effective_argv(const std::vector<std::string>& argv,
                                            const std::vector<std::string>& flags) {
  const std::string sub = first_operand(argv);
  if (sub != "server" && sub != "agent") return argv;
  auto at = std::find(argv.begin() + (argv.empty() ? 0 : 1), argv.end(), sub);
  std::vector<std::string> out(argv.begin(), at + 1);
  out.insert(out.end(), flags.begin(), flags.end());
  out.insert(out.end(), at + 1, argv.end());
  return out;
}

K3sConfig read_k3s_config(int root_fd, const std::string& path) {
  K3sConfig out;
  std::vector<std::string> names{path};
  auto dropins = list_dir_in_root(root_fd, path + ".d", kK3sMaxDropins);
  if (dropins) {
    for (const auto& n : dropins->names)
      if (yaml_name(n)) names.push_back(fmt::format("{}.d/{}", path, n));
    if (dropins->cut)
      out.note = fmt::format("{}.d: more than {} entries, the rest not read", path, kK3sMaxDropins);
  }
  std::vector<std::vector<K3sConfigValue>> files;
  for (const auto& name : names) {
    auto text = read_config_in_root(root_fd, name, kK3sConfigLimit);
    if (!text) {
      if (text.error().errnum != ENOENT && out.note.empty()) out.note = text.error().message;
      continue;
    }
    if (text->truncated) {
      if (out.note.empty())
        out.note = fmt::format("{}: larger than {} bytes, not read", name, kK3sConfigLimit);
      continue;
    }
    auto values = parse_k3s_config(text->text);
    if (!values) {
      // k3s does not start with a config it cannot read: it changed since.
      if (out.note.empty())
        out.note = fmt::format("{}: {}; k3s would not start with it", name, values.error().message);
      continue;
    }
    files.push_back(std::move(*values));
    out.files.push_back(name);
  }
  out.flags = k3s_config_flags(files);
  return out;
}

}  // namespace iptmode
