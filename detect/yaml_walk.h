// One YAML document as a stream of nodes, each with the collections around
// it: the one libyaml reader behind k0s.yaml and k3s's config.yaml. libyaml's
// event API keeps no recursion of its own, and the walk stops at a fixed
// depth, so hostile input costs bounded stack and time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iptmode {

// An open collection. In a mapping, `key` is the key whose value is read now.
struct YamlFrame {
  bool mapping = false;
  bool want_key = true;
  std::string key;
};

struct YamlNode {
  enum class Kind { scalar, alias, mapping, sequence };
  Kind kind = Kind::scalar;
  bool is_key = false;     // a scalar read as a mapping's key
  bool plain = false;      // an unquoted scalar: YAML 1.1 reads `yes` as true
  std::string_view value;  // scalars only; an alias reads as ""
};

// Nesting deeper than this is no config file either reader knows.
inline constexpr std::size_t kYamlMaxDepth = 64;

// Calls `visit(frames, node)` for every node of the first document. For a
// value, `frames.back().key` (in a mapping) is its key; a collection is
// visited before it is entered. Returns the reason the text is not YAML
// ("YAML does not parse at line N: ..."), or nothing.
using YamlVisitor = std::function<void(const std::vector<YamlFrame>&, const YamlNode&)>;
std::optional<std::string> walk_yaml(std::string_view text, const YamlVisitor& visit);

}  // namespace iptmode
