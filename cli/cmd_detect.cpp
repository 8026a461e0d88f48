#include "cli/cmd_detect.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/bin_dir.h"
#include "cli/decision_state.h"
#include "cli/exit_codes.h"
#include "detect/report_json.h"
#include "detect/report_text.h"
#include "shim/names.h"

namespace iptmode::cli {
namespace {

int error_exit(std::string_view message) {
  fmt::print(stderr, "iptmode: {}\n", message);
  return kExitError;
}

}  // namespace

Result<Detection> detect_now(const DetectOptions& opts) {
  if (::geteuid() != 0)
    return fail("detect reads the kernel's packet filter tables and needs root: run it with sudo");
  PipelineOptions p;
  p.mode = opts.mode;
  p.config = opts.config;
  p.host_root = opts.host_root;
  if (opts.scan_budget > 0)
    p.limits.scan_time = std::chrono::milliseconds(static_cast<long>(opts.scan_budget * 1000));
  else if (opts.print_state)
    p.limits.scan_time = kPrintStateScanTime;
  return run_pipeline(p);
}

int run_detect(const DetectOptions& opts) {
  auto det = detect_now(opts);
  if (!det) return error_exit(det.error().message);
  const shim::State state = state_for(det->evidence, det->decision);

  // The shim reads this from a pipe and checks it like the file.
  if (opts.print_state) {
    // The nft-writer line then holds what the scan did read: say so once.
    for (const auto& c : det->evidence.components)
      if (c.inspection == Inspection::over_budget) {
        fmt::print(stderr, "iptmode: warning: {} (pid {}) not inspected: {}\n", c.name,
                   c.pids.front(), c.iptables.note);
        break;
      }
    fmt::print("{}", state_text(state));
    return kExitOk;
  }
  // Recorded before anything is printed: a failed write must not leave a
  // complete-looking decision on stdout.
  const std::string dir = opts.bin_dir.empty() ? kDefaultBinDir : opts.bin_dir;
  if (opts.write) {
    auto dirfd = open_bin_dir(dir);
    if (!dirfd) return error_exit(dirfd.error().message);
    if (auto w = store_decision(dirfd->get(), dir, state); !w) return error_exit(w.error().message);
  }
  if (opts.json)
    fmt::print("{}", detect_json(det->evidence, det->decision));
  else
    fmt::print("{}", detect_text(det->decision));
  if (opts.write && !opts.json) fmt::print("recorded: {}/{}\n", dir, shim::kStateFile);
  return kExitOk;
}

}  // namespace iptmode::cli
