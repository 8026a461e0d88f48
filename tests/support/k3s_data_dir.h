// k3s's data dir as k3s extracts it (k3s-io/k3s cmd/k3s/main.go extract), in
// a test's root: data/<hash>/bin with k3s and its k3s-server link, and
// data/current -> <hash>, so tests that run a k3s server set it up one way.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace iptmode::test {

struct K3sDataDir {
  std::string dir;                 // /var/lib/rancher/k3s/data/<hash>, as seen inside the root
  std::string bin;                 // dir + "/bin", as seen inside the root
  std::filesystem::path host_bin;  // bin on the host: root + bin
};

// Makes it under `root`; k3s is FAKE_COMPONENT_BIN (a waiting stand-in).
K3sDataDir make_k3s_data_dir(const std::filesystem::path& root, std::string_view hash);

}  // namespace iptmode::test
