// The host's own iptables-{nft,legacy}-save and -restore, run for the text
// operators know: the plan shows rules as iptables-save writes them, and the
// backup is a file iptables-restore reads. The binaries are the
// xtables-<mode>-multi beside the host's `iptables` (found as the audit
// finds it), run under their applet names; nothing else is executed.
#pragma once

#include <string>
#include <vector>

#include "audit/audit_evidence.h"
#include "core/error.h"
#include "core/mode.h"

namespace iptmode::repair {

struct Tools {
  std::string nft_multi;     // absolute path of xtables-nft-multi
  std::string legacy_multi;  // absolute path of xtables-legacy-multi
  const std::string& multi(Mode m) const { return m == Mode::nft ? nft_multi : legacy_multi; }
};

Result<Tools> find_tools(const AuditEvidence& a);

// `<family>tables-<mode>-save [args]`: its stdout, or an error with its stderr.
Result<std::string> run_save(const Tools& t, Mode m, const std::string& family,
                             const std::vector<std::string>& args = {});

// `<family>tables-<mode>-restore [args]` fed `input` on stdin.
Result<void> run_restore(const Tools& t, Mode m, const std::string& family,
                         const std::string& input, const std::vector<std::string>& args = {});

}  // namespace iptmode::repair
