#include "audit/k0s_config.h"

#include "core/text.h"
#include "detect/config_read.h"
#include "detect/in_root.h"

namespace iptmode {
void parse_k0s_yaml(std::string_view text, ClusterCidrs& out) {
  while (!text.empty()) {
    std::string_view line = trim(next_line(text));
    if (auto hash = line.find(" #"); hash != std::string_view::npos)
      line = trim(line.substr(0, hash));
    for (auto [key, dst] : {std::pair{std::string_view("podCIDR:"), &out.pod},
                            std::pair{std::string_view("serviceCIDR:"), &out.service}}) {
      if (!line.starts_with(key)) continue;
      std::string_view v = trim(line.substr(key.size()));
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
      if (!v.empty()) *dst = std::string(v);
    }
  }
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
      c.source = "/etc/k0s/k0s.yaml";
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
