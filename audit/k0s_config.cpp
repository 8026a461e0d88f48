#include "audit/k0s_config.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "detect/config_read.h"
#include "detect/in_root.h"
#include "detect/yaml_walk.h"

namespace iptmode {
namespace {

// spec.network.<leaf>: the mapping three deep under the root mapping.
bool at_network(const std::vector<YamlFrame>& f) {
  return f.size() == 3 && f[0].mapping && f[0].key == "spec" && f[1].mapping &&
         f[1].key == "network" && f[2].mapping;
}

}  // namespace

// Block and flow style, quoting, folded and literal scalars, comments read
// as k0s's Go YAML reads them (detect/yaml_walk.h). Only the first document
// counts, as for k0s.
void parse_k0s_yaml(std::string_view text, ClusterCidrs& result) {
  // Read into a copy: a document that fails half-way changes nothing.
  ClusterCidrs out = result;
  auto error = walk_yaml(text, [&](const std::vector<YamlFrame>& frames, const YamlNode& n) {
    if (n.is_key || n.kind != YamlNode::Kind::scalar || n.value.empty() || !at_network(frames))
      return;
    if (frames.back().key == "podCIDR") out.pod = std::string(n.value);
    if (frames.back().key == "serviceCIDR") out.service = std::string(n.value);
  });
  if (error) {
    result.error = std::move(*error);
    return;
  }
  result = std::move(out);
}

ClusterCidrs cluster_cidrs(const std::string& host_root, const std::string& pod_flag,
                           const std::string& service_flag) {
  ClusterCidrs c;
  // Inside the host root: a link there to an absolute path means that path
  // in the root. A file over 1 MiB is not k0s's: the defaults hold.
  if (auto root = open_root(host_root))
    if (auto y = read_config_in_root(root->get(), "/etc/k0s/k0s.yaml", 1024 * 1024);
        y && !y->truncated) {
      parse_k0s_yaml(y->text, c);
      c.source =
          c.error.empty() ? "/etc/k0s/k0s.yaml" : "k0s defaults: /etc/k0s/k0s.yaml: " + c.error;
    }
  if (c.pod.empty()) c.pod = kDefaultPodCidr;
  if (c.service.empty()) c.service = kDefaultServiceCidr;
  if (c.source.empty()) c.source = "k0s defaults";
  if (!pod_flag.empty()) c.pod = pod_flag;
  if (!service_flag.empty()) c.service = service_flag;
  if (!pod_flag.empty() || !service_flag.empty()) c.source = "flags";
  return c;
}

}  // namespace iptmode
