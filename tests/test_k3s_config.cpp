// k3s's config.yaml as k3s reads it: keys to flags, drop-ins, `key+:`
// appends, the file's path, and the flags' place before the command line's.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "detect/components.h"
#include "detect/flags.h"
#include "detect/in_root.h"
#include "detect/k3s_config.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

using Args = std::vector<std::string>;

Args flags_of(std::string_view text) {
  auto v = parse_k3s_config(text);
  REQUIRE(v);
  return k3s_config_flags({*v});
}

TEST_CASE("k3s_config: keys become flags, lists one per item, YAML 1.1 booleans as Go prints") {
  CHECK(flags_of("disable-kube-proxy: yes\n"
                 "flannel-backend: \"none\"\n"
                 "kube-proxy-arg:\n  - proxy-mode=nftables\n  - v=2\n"
                 "d: /srv/k3s\n"
                 "quoted: 'yes'\n"
                 "empty:\n") == Args{"--disable-kube-proxy=true", "--flannel-backend=none",
                                     "--kube-proxy-arg=proxy-mode=nftables", "--kube-proxy-arg=v=2",
                                     "-d=/srv/k3s", "--quoted=yes", "--empty="});
  // Flow style and a folded scalar read as any YAML reader reads them.
  CHECK(flags_of("{disable-network-policy: true, node-label: [a=b, c=d]}") ==
        Args{"--disable-network-policy=true", "--node-label=a=b", "--node-label=c=d"});
  CHECK(flags_of("data-dir: >-\n  /var/lib/\n  k3s\n") == Args{"--data-dir=/var/lib/ k3s"});
  // Nested mappings are no k3s flag; a document that is not a mapping has none.
  CHECK(flags_of("kubelet-arg:\n  v: 2\nd: x\n") == Args{"-d=x"});
  CHECK(flags_of("- a\n- b\n").empty());
  CHECK(!parse_k3s_config("a: [b\n"));
}

TEST_CASE("k3s_config: a later file replaces a key, `key+:` appends to it, order is first seen") {
  auto a = parse_k3s_config("kube-proxy-arg: [proxy-mode=iptables]\nflannel-backend: vxlan\n");
  auto b = parse_k3s_config("flannel-backend: none\nkube-proxy-arg+: [v=2]\n");
  auto c = parse_k3s_config("kube-proxy-arg: [proxy-mode=nftables]\n");
  REQUIRE((a && b && c));
  CHECK(k3s_config_flags({*a, *b}) == Args{"--kube-proxy-arg=proxy-mode=iptables",
                                           "--kube-proxy-arg=v=2", "--flannel-backend=none"});
  CHECK(k3s_config_flags({*a, *b, *c}) ==
        Args{"--kube-proxy-arg=proxy-mode=nftables", "--flannel-backend=none"});
}

TEST_CASE("k3s_config: the file is K3S_CONFIG_FILE, else --config/-c, else the default") {
  using namespace std::string_literals;
  const Args plain{"k3s", "server"};
  CHECK(k3s_config_path(plain, "") == "/etc/rancher/k3s/config.yaml");
  CHECK(k3s_config_path({"k3s", "server", "--config", "/srv/k.yaml"}, "") == "/srv/k.yaml");
  CHECK(k3s_config_path({"k3s", "agent", "-c=/srv/a.yaml"}, "") == "/srv/a.yaml");
  CHECK(k3s_config_path({"k3s", "server", "--config=/srv/k.yaml"},
                        "PATH=/bin\0K3S_CONFIG_FILE=/env.yaml\0"s) == "/env.yaml");
}

TEST_CASE("k3s_config: the config's flags go after the subcommand, so the command line wins") {
  const Args argv{"/usr/local/bin/k3s", "server", "--flannel-backend=vxlan"};
  const Args eff =
      k3s_effective_argv(argv, {"--flannel-backend=none", "--disable-kube-proxy=true"});
  CHECK(eff == Args{"/usr/local/bin/k3s", "server", "--flannel-backend=none",
                    "--disable-kube-proxy=true", "--flannel-backend=vxlan"});
  CHECK(flag_value(eff, "flannel-backend") == "vxlan");
  CHECK(flag_true(eff, "disable-kube-proxy"));
  // `k3s kubectl` takes no config: nothing is inserted.
  CHECK(k3s_effective_argv({"k3s", "kubectl", "get"}, {"--x=1"}) == Args{"k3s", "kubectl", "get"});
}

TEST_CASE("k3s_config: drop-ins in name order, only *.yaml/*.yml, inside the root") {
  test::TempDir root;
  root.file("etc/rancher/k3s/config.yaml", "flannel-backend: vxlan\nkube-proxy-arg: [v=1]\n");
  root.file("etc/rancher/k3s/config.yaml.d/20-b.YML", "flannel-backend: none\n");
  root.file("etc/rancher/k3s/config.yaml.d/10-a.yaml", "kube-proxy-arg+: [proxy-mode=nftables]\n");
  root.file("etc/rancher/k3s/config.yaml.d/30-c.txt", "disable-kube-proxy: true\n");
  std::filesystem::create_directories(root / "etc/rancher/k3s/config.yaml.d/40-d.yaml");
  // A link out of the root stays inside it: /etc/passwd there does not exist.
  std::filesystem::create_symlink("/etc/passwd", root / "etc/rancher/k3s/config.yaml.d/50-e.yaml");
  auto fd = open_root(root.str());
  REQUIRE(fd);
  const K3sConfig cfg = read_k3s_config(fd->get(), "/etc/rancher/k3s/config.yaml");
  CHECK(cfg.files == Args{"/etc/rancher/k3s/config.yaml",
                          "/etc/rancher/k3s/config.yaml.d/10-a.yaml",
                          "/etc/rancher/k3s/config.yaml.d/20-b.YML"});
  CHECK(cfg.flags == Args{"--flannel-backend=none", "--kube-proxy-arg=v=1",
                          "--kube-proxy-arg=proxy-mode=nftables"});
  CHECK(cfg.note.empty());

  // What k3s then hosts: flannel is gone, kube-proxy is in nftables mode.
  Component k3s;
  k3s.name = "k3s";
  k3s.argv = k3s_effective_argv({"k3s", "server"}, cfg.flags);
  Args hosted;
  for (const auto& c : hosted_by_k3s(k3s)) hosted.push_back(c.name);
  CHECK(hosted == Args{"kubelet", "kube-proxy", "kube-router"});
}

TEST_CASE("k3s_config: a config that is not YAML, or too large, is a note, not flags") {
  test::TempDir root;
  root.file("etc/rancher/k3s/config.yaml", "flannel-backend: [none\n");
  root.file("etc/rancher/k3s/config.yaml.d/10-a.yaml", std::string(300 * 1024, '#'));
  auto fd = open_root(root.str());
  REQUIRE(fd);
  const K3sConfig cfg = read_k3s_config(fd->get(), "/etc/rancher/k3s/config.yaml");
  CHECK(cfg.flags.empty());
  CHECK(cfg.files.empty());
  CHECK(cfg.note.find("/etc/rancher/k3s/config.yaml: YAML does not parse at line") == 0);
  // Nothing there at all is k3s's default: no note.
  test::TempDir bare;
  auto bfd = open_root(bare.str());
  REQUIRE(bfd);
  const K3sConfig none = read_k3s_config(bfd->get(), "/etc/rancher/k3s/config.yaml");
  CHECK((none.flags.empty() && none.files.empty() && none.note.empty()));
}

}  // namespace
}  // namespace iptmode
