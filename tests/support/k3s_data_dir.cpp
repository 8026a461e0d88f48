#include "tests/support/k3s_data_dir.h"

namespace iptmode::test {

K3sDataDir make_k3s_data_dir(const std::filesystem::path& root, std::string_view hash) {
  const std::string data = "/var/lib/rancher/k3s/data";
  K3sDataDir k;
  k.dir = data + "/" + std::string(hash);
  k.bin = k.dir + "/bin";
  k.host_bin = root / k.bin.substr(1);
  std::filesystem::create_directories(k.host_bin);
  std::filesystem::copy_file(FAKE_COMPONENT_BIN, k.host_bin / "k3s");
  std::filesystem::create_symlink("k3s", k.host_bin / "k3s-server");
  std::filesystem::create_symlink(hash, root / data.substr(1) / "current");
  return k;
}

}  // namespace iptmode::test
