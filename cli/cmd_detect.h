// `iptmode detect`: gather the evidence, decide, print (and record it for the shim).
#pragma once

#include <chrono>
#include <string>

#include "core/error.h"
#include "core/paths.h"
#include "detect/pipeline.h"

namespace iptmode::cli {

struct DetectOptions {
  bool json = false;
  std::string mode;    // auto | nft | legacy; empty: the config's mode= decides
  std::string config;  // empty: <host-root>/etc/iptmode/iptmode.conf, optional
  std::string host_root = "/";
  bool write = false;        // record the decision in <bin-dir>/iptmode-shim.state
  bool print_state = false;  // print the state text instead (the shim's first call)
  std::string bin_dir;       // empty: kDefaultBinDir
  // Seconds the component scan may take in all; 0: kScanTime, or
  // kPrintStateScanTime with print_state. The decision never waits on it.
  double scan_budget = 0;
};

// The shim's first call waits on --print-state: components only add the
// nft-writer line, so they get a small share of the shim's detector timeout.
inline constexpr std::chrono::milliseconds kPrintStateScanTime{2000};

// The detection pipeline (detect/pipeline.h) for `opts`, after a check for root.
Result<Detection> detect_now(const DetectOptions& opts);

// Returns the process exit status (cli/exit_codes.h).
int run_detect(const DetectOptions& opts);

}  // namespace iptmode::cli
