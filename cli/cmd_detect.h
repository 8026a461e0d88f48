// `iptmode detect`: gather the evidence, decide, print.
#pragma once

#include <string>

namespace iptmode::cli {

struct DetectOptions {
  bool json = false;
  std::string mode = "auto";  // auto | nft | legacy
  std::string config;         // empty: <host-root>/etc/iptmode/iptmode.conf, optional
  std::string host_root = "/";
};

// Returns the process exit status (see docs/exit-codes in the README).
int run_detect(const DetectOptions& opts);

}  // namespace iptmode::cli
