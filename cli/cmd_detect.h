// `iptmode detect`: gather the evidence, decide, print (and record it for the shim).
#pragma once

#include <string>

#include "core/error.h"
#include "core/paths.h"
#include "detect/decide.h"
#include "detect/evidence.h"

namespace iptmode::cli {

struct DetectOptions {
  bool json = false;
  std::string mode;    // auto | nft | legacy; empty: the config's mode= decides
  std::string config;  // empty: <host-root>/etc/iptmode/iptmode.conf, optional
  std::string host_root = "/";
  bool write = false;        // record the decision in <bin-dir>/iptmode-shim.state
  bool print_state = false;  // print the state text instead (the shim's first call)
  std::string bin_dir;       // empty: kDefaultBinDir
};

struct Detection {
  Evidence evidence;
  Decision decision;
};

// Config, evidence, decision: what every command that needs the mode runs.
// Checks for root first.
Result<Detection> detect_now(const DetectOptions& opts);

// Returns the process exit status (cli/exit_codes.h).
int run_detect(const DetectOptions& opts);

}  // namespace iptmode::cli
