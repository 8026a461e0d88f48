// What each component writes, and how we know: its iptables backend (nft,
// legacy, or none) from its iptables binary, calico-node's
// FELIX_IPTABLESBACKEND, or a prediction of what a not-yet-run
// iptables-wrapper will pick; and the native nftables tables it writes
// (Felix's NFTablesMode, kube-proxy's proxy mode, kube-router's and flannel's
// nftables switches; for the components a k3s process hosts, k3s's flags).
// Pure: what must be read from a component's root (kube-proxy's --config,
// the nft in its image) is read by the audit's gather step and passed in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/native_writers.h"
#include "audit/wrapper_prediction.h"
#include "core/mode.h"
#include "core/version.h"
#include "core/wrapper.h"
#include "detect/components.h"
#include "detect/kernel.h"

namespace iptmode {

// kube-proxy's --proxy-mode: one it does not know (or a removed one, such as
// userspace) is `unknown`.
enum class ProxyMode { iptables, ipvs, nftables, unknown };
std::string_view to_string(ProxyMode m);

// What the audit's gather step read from a component's root for
// component_mode: kube-proxy's files, and a pending wrapper's inputs.
struct ComponentReads {
  // kube-proxy: the file its --config names (maybe cut); flanneld: its net-conf.json
  std::string config_text;
  std::string note;                    // why that file was not read, or that it was cut
  std::optional<Version> nft_version;  // kube-proxy in nftables mode: the nft in its root
  WrapperInputs wrapper;               // an iptables-wrapper not yet run
  bool wrapper_cannot_relink = false;  // a link it rewrites is on a read-only mount
};

struct ComponentMode {
  std::optional<Mode> mode;         // the iptables backend it writes; unset: none, or unknown
  std::string source;               // how that is known, one phrase
  bool iptables_none = false;       // known to write no iptables at all (mode unset)
  std::vector<NativeTable> native;  // the native nftables tables it writes
  std::string native_source;        // how those are known (or that it writes none), one phrase
  bool wrapper_pending = false;
  WrapperKind wrapper = WrapperKind::none;  // a pending wrapper's family
  bool wrapper_cannot_relink = false;       // a link it rewrites is on a read-only mount
  // A pending wrapper's (or Felix auto's) choice on this kernel state.
  std::optional<Mode> predicted;
  std::optional<ProxyMode> proxy_mode;  // kube-proxy only
  std::optional<Version> nft_version;   // kube-proxy in nftables mode: the nft in its image
  std::string note;                     // what could not be read (kube-proxy's --config)
};

// Calico Felix (>= 3.26) with FELIX_IPTABLESBACKEND=auto: a hint in nf_tables
// mangle, else in x_tables mangle, else legacy when it has at least as many
// rules (a tie goes to legacy).
Mode felix_auto(const KernelState& k);

// kubernetes-sigs/iptables-wrapper v2 (shell) or v3 (Go) at its first run
// (audit/wrapper_prediction.h has every family).
Mode wrapper_choice(const KernelState& k, bool shell_script);

// kube-proxy's --proxy-mode, or `mode:` in the text of the --config file it
// names; iptables when neither says.
ProxyMode kube_proxy_mode(const std::vector<std::string>& argv, const std::string& config_text);
std::optional<std::string> kube_proxy_config_path(const std::vector<std::string>& argv);

// The value of an environment entry, matching the key without regard to
// case (Felix reads its variables that way).
std::optional<std::string> env_lookup_nocase(const std::vector<std::string>& environ,
                                             std::string_view key);

// "nft", "legacy", "none", "pending" (a wrapper not yet run) or "unknown".
std::string_view iptables_writes(const ComponentMode& m);

// `kp` is used for kube-proxy and flanneld only.
ComponentMode component_mode(const Component& c, const KernelState& k,
                             const ComponentReads& kp = {});

}  // namespace iptmode
