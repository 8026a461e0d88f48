// `iptmode monitor`: follow every write to either backend, as it happens,
// with its writer and a verdict (docs/monitor.md).
#pragma once

#include <string>

#include "core/paths.h"

namespace iptmode::cli {

struct MonitorCliOptions {
  bool json = false;
  std::string prometheus;  // textfile; empty: none
  std::string mode;        // auto | nft | legacy; empty: the config decides
  std::string config;
  std::string host_root = "/";
  std::string bin_dir = kDefaultBinDir;
  double interval = 10;    // seconds between periodic checks
  int netlink_rcvbuf = 0;  // bytes; 0: the default (monitor/loop.h)
};

// 0 when stopped by SIGTERM or SIGINT; 2 when it cannot run (cannot
// subscribe, the start's detection failed, a broken loop), with one line.
int run_monitor(const MonitorCliOptions& opts);

}  // namespace iptmode::cli
