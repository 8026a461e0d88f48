// The k0s bin dir (or another shim dir): what the six names point at,
// whether the shim is installed, the staged backends and the recorded state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/binary.h"
#include "core/mode.h"

namespace iptmode {

struct BinDirName {
  std::string name;
  bool present = false;
  std::optional<std::string> target;  // the link's text; unset: not a link
  bool points_to_shim = false;        // iptmode-shim, or a staged name that is a padded script
  std::string dangling;  // a link that resolves to nothing: why (k0s --iptables-mode=typo)
};

struct StagedBackend {
  Mode mode;
  std::string path;
  std::optional<BinaryInfo> info;  // unset: missing or unreadable (see note)
  std::string note;
  bool refused = false;  // there, but the shim would refuse it (a SHIM_REFUSES of its own)
};

struct BinDirState {
  std::string dir;  // as given (a host path, not under --host-root)
  bool exists = false;
  std::vector<BinDirName> names;
  bool shim_binary = false;
  bool shim_installed = false;  // the shim binary is there and all six names point at it
  // Both staged xtables-*-multi are padded `#!<this dir>/iptmode-shim`
  // scripts (shim/padded.h): a name k0s links to either runs the shim.
  bool zero_bypass = false;
  std::string backend_dir;
  std::vector<StagedBackend> backends;  // xtables-nft-multi, xtables-legacy-multi
  std::optional<Mode> state_mode;       // from iptmode-shim.state
  std::string state_note;               // why there is no state_mode
  // Every refusal the shim would make on a call, in its own words (file and
  // fix): the files are read with the shim's own code (shim/files.h).
  std::vector<std::string> shim_refusals;
  // The package's shim (kPackagedShim, under the host root) when the bin
  // dir's copy differs from it: a package upgrade without `shim watch`.
  std::string packaged_shim_differs;
};

// `dir` is read under `host_root`.
BinDirState read_bin_dir(const std::string& host_root, const std::string& dir);

}  // namespace iptmode
