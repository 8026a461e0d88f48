// The pod and service CIDRs for the firewalld check: k0s.yaml's keys, and
// the precedence flags > <root>/etc/k0s/k0s.yaml > k0s's defaults.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "audit/k0s_config.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

namespace fs = std::filesystem;

ClusterCidrs parse(std::string_view text) {
  ClusterCidrs c;
  parse_k0s_yaml(text, c);
  return c;
}

constexpr std::string_view kK0sYaml = R"(apiVersion: k0s.k0sproject.io/v1beta1
kind: ClusterConfig
metadata:
  name: k0s
spec:
  api:
    address: 192.168.68.104
    port: 6443
  network:
    provider: kuberouter
    podCIDR: 10.100.0.0/16   # pods
    serviceCIDR: "10.200.0.0/16"
    dualStack:
      enabled: false
      IPv6podCIDR: fd00::/108
      IPv6serviceCIDR: fd01::/108
    kubeProxy:
      mode: iptables
)";

}  // namespace

TEST_CASE("audit k0s config: podCIDR and serviceCIDR from k0s.yaml") {
  ClusterCidrs c = parse(kK0sYaml);
  CHECK(c.pod == "10.100.0.0/16");
  CHECK(c.service == "10.200.0.0/16");
}

TEST_CASE("audit k0s config: quotes, CRLF, and keys that only end like ours") {
  ClusterCidrs c = parse(
      "spec:\r\n  network:\r\n    podCIDR: '10.1.0.0/16'\r\n"
      "    IPv6serviceCIDR: fd01::/108\r\n");
  CHECK(c.pod == "10.1.0.0/16");
  CHECK(c.service.empty());
  CHECK(c.error.empty());
}

TEST_CASE("audit k0s config: empty values and comments leave the field alone") {
  ClusterCidrs c;
  c.pod = "keep";
  parse_k0s_yaml(
      "spec:\n  network:\n    podCIDR:\n# serviceCIDR: 1.2.3.0/24\n    serviceCIDR: \"\"\n", c);
  CHECK(c.pod == "keep");
  CHECK(c.service.empty());
  CHECK(parse("").pod.empty());
  CHECK(parse("").error.empty());
}

// The cases of the issue: flow style fell back to the defaults silently.
TEST_CASE("audit k0s config: flow style") {
  ClusterCidrs c = parse("spec: {network: {podCIDR: 10.3.0.0/16, serviceCIDR: \"10.4.0.0/16\"}}\n");
  CHECK(c.pod == "10.3.0.0/16");
  CHECK(c.service == "10.4.0.0/16");
  ClusterCidrs mixed =
      parse("spec:\n  network: {podCIDR: 10.5.0.0/16,\n    serviceCIDR: 10.6.0.0/16}\n");
  CHECK(mixed.pod == "10.5.0.0/16");
  CHECK(mixed.service == "10.6.0.0/16");
}

// ... and a folded scalar was read as a CIDR named ">-".
TEST_CASE("audit k0s config: folded and literal block scalars") {
  ClusterCidrs c = parse(
      "spec:\n  network:\n    podCIDR: >-\n      10.7.0.0/16\n"
      "    serviceCIDR: |-\n      10.8.0.0/16\n");
  CHECK(c.pod == "10.7.0.0/16");
  CHECK(c.service == "10.8.0.0/16");
}

TEST_CASE("audit k0s config: only spec.network's keys count") {
  ClusterCidrs c = parse(
      "podCIDR: 1.0.0.0/8\n"
      "metadata:\n  network:\n    podCIDR: 2.0.0.0/8\n"
      "spec:\n  extra:\n    network:\n      serviceCIDR: 3.0.0.0/8\n"
      "  network:\n    dualStack: {podCIDR: 4.0.0.0/8}\n    serviceCIDR: 10.9.0.0/16\n");
  CHECK(c.pod.empty());
  CHECK(c.service == "10.9.0.0/16");
}

TEST_CASE("audit k0s config: only the first document counts") {
  ClusterCidrs c = parse(
      "spec:\n  network:\n    podCIDR: 10.10.0.0/16\n---\n"
      "spec:\n  network:\n    podCIDR: 9.9.0.0/16\n    serviceCIDR: 9.8.0.0/16\n");
  CHECK(c.pod == "10.10.0.0/16");
  CHECK(c.service.empty());
}

TEST_CASE("audit k0s config: text that is not YAML changes nothing and says why") {
  ClusterCidrs c = parse("spec:\n  network:\n    podCIDR: 10.1.0.0/16\n  bad: [unclosed\n");
  CHECK(c.pod.empty());
  CHECK(c.error.find("YAML does not parse at line") != std::string::npos);
  ClusterCidrs deep = parse(std::string(200, '[') + std::string(200, ']'));
  CHECK(deep.error == "YAML nests deeper than 64 levels");
}

TEST_CASE(
    "audit k0s config: a k0s.yaml that does not parse: the defaults, and the source says why") {
  test::TempDir root;
  root.file("/etc/k0s/k0s.yaml", "spec: {network: [\n");
  ClusterCidrs c = cluster_cidrs(root.path(), "", "");
  CHECK(c.pod == kDefaultPodCidr);
  CHECK(c.source.starts_with("k0s defaults: /etc/k0s/k0s.yaml: YAML does not parse at line"));
}

TEST_CASE("audit k0s config: no k0s.yaml and no flags: k0s's defaults") {
  test::TempDir root;
  ClusterCidrs c = cluster_cidrs(root.path(), "", "");
  CHECK(c.pod == kDefaultPodCidr);
  CHECK(c.service == kDefaultServiceCidr);
  CHECK(c.pod == "10.244.0.0/16");
  CHECK(c.service == "10.96.0.0/12");
  CHECK(c.source == "k0s defaults");
}

TEST_CASE("audit k0s config: k0s.yaml under the host root beats the defaults") {
  test::TempDir root;
  root.file("/etc/k0s/k0s.yaml", std::string(kK0sYaml));
  ClusterCidrs c = cluster_cidrs(root.path(), "", "");
  CHECK(c.pod == "10.100.0.0/16");
  CHECK(c.service == "10.200.0.0/16");
  CHECK(c.source == "/etc/k0s/k0s.yaml");
}

TEST_CASE("audit k0s config: a k0s.yaml with only one key: the other is the default") {
  test::TempDir root;
  root.file("/etc/k0s/k0s.yaml", "spec:\n  network:\n    serviceCIDR: 10.200.0.0/16\n");
  ClusterCidrs c = cluster_cidrs(root.path(), "", "");
  CHECK(c.pod == "10.244.0.0/16");
  CHECK(c.service == "10.200.0.0/16");
  CHECK(c.source == "/etc/k0s/k0s.yaml");
}

TEST_CASE("audit k0s config: flags beat k0s.yaml") {
  test::TempDir root;
  root.file("/etc/k0s/k0s.yaml", std::string(kK0sYaml));
  ClusterCidrs both = cluster_cidrs(root.path(), "10.7.0.0/16", "10.8.0.0/16");
  CHECK(both.pod == "10.7.0.0/16");
  CHECK(both.service == "10.8.0.0/16");
  CHECK(both.source == "flags");

  // One flag: that one from the flag, the other still from k0s.yaml.
  ClusterCidrs pod_only = cluster_cidrs(root.path(), "10.7.0.0/16", "");
  CHECK(pod_only.pod == "10.7.0.0/16");
  CHECK(pod_only.service == "10.200.0.0/16");
}

// In the DaemonSet the host's / is mounted at /host: a link in it to an
// absolute path names that path on the host, never in the audit's container.
TEST_CASE("audit k0s config: a link to an absolute path resolves inside the host root") {
  test::TempDir root;
  root.link("/etc/k0s/k0s.yaml", "/etc/elsewhere/k0s.yaml");
  root.file("/etc/elsewhere/k0s.yaml", std::string(kK0sYaml));
  ClusterCidrs c = cluster_cidrs(root.str(), "", "");
  CHECK(c.pod == "10.100.0.0/16");
  CHECK(c.service == "10.200.0.0/16");
  CHECK(c.source == "/etc/k0s/k0s.yaml");

  // /etc/hostname exists outside the root too: the one inside is read.
  test::TempDir other;
  other.link("/etc/k0s/k0s.yaml", "/etc/hostname");
  other.file("/etc/hostname", "spec:\n  network:\n    podCIDR: 10.55.0.0/16\n");
  CHECK(cluster_cidrs(other.str(), "", "").pod == "10.55.0.0/16");
}

TEST_CASE("audit k0s config: a host root of / reads /etc/k0s/k0s.yaml itself") {
  // Whatever this machine has there, the flags decide when both are given.
  ClusterCidrs c = cluster_cidrs("/", "10.9.0.0/16", "10.10.0.0/16");
  CHECK(c.pod == "10.9.0.0/16");
  CHECK(c.service == "10.10.0.0/16");
  CHECK(c.source == "flags");
}

}  // namespace iptmode
