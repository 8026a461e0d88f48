// `iptmode shim install | uninstall | watch`: put the shim in place of the
// six iptables names in a bin dir, take it out again, keep it in place.
#pragma once

#include <string>

#include "core/paths.h"

namespace iptmode::cli {

struct ShimOptions {
  std::string bin_dir = kDefaultBinDir;
  std::string backend_dir;  // empty: keep the recorded one (default: the bin dir)
  std::string shim;         // the shim binary to install; empty: found beside iptmode
  bool dry_run = false;
  // Replace only the six names and leave k0s's staged xtables-*-multi as
  // they are (the form with a window at k0s's start, docs/shim.md).
  bool names_only = false;
};

int run_shim_install(const ShimOptions& opts);
int run_shim_uninstall(const ShimOptions& opts);
int run_shim_watch(const ShimOptions& opts);

}  // namespace iptmode::cli
