// The outputs for people: `iptmode audit`'s report (audit/report_text.cpp)
// and `iptmode detect`'s (detect/report_text.cpp), built from evidence in
// memory, byte for byte: operators and scripts read these columns.
#include "audit/report.h"
#include "detect/report_text.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using namespace test;

constexpr const char* kHeader =
    "  NAME         PIDS         BACKEND  VERSION  BINARY                             HOW KNOWN\n";

}  // namespace

TEST_CASE("report text: a consistent node, one component, no findings") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 42, Mode::nft));
  CHECK(audit_text(a, {}, ReportStyle{false}) ==
        std::string("mode: nft (decided by hint)\n"
                    "\n"
                    "components\n") +
            kHeader +
            "  kube-proxy   42           nft      1.8.9    /usr/sbin/xtables-nft-multi        "
            "iptables in its root is xtables-nft-multi\n"
            "\n"
            "kernel\n"
            "  nf_tables  1 tables, 1 chains, 0 iptables rules\n"
            "  x_tables   0 tables, 0 chains, 0 iptables rules\n"
            "  host iptables: /usr/sbin/xtables-nft-multi 1.8.9 (xtables-nft-multi)\n"
            "\n"
            "findings\n"
            "  none: every writer agrees\n");
}

TEST_CASE("report text: no components, an unavailable backend, the bin dir and its state") {
  AuditEvidence a = node(Mode::legacy);
  a.ev.kernel.nft.available = false;
  a.ev.kernel.nft.note = "nf_tables module not loaded";
  a.ev.kernel.legacy.rules_exact = false;
  a.ev.kernel.legacy.tables.push_back(table("ip", "filter", {chain("INPUT", 12)}));
  a.bin.exists = true;
  a.bin.shim_installed = true;
  a.bin.state_mode = Mode::legacy;
  const std::string text = audit_text(a, {}, ReportStyle{false});
  CHECK(text.find("components\n  none found (kubelet, kube-proxy, kube-router, calico-node, "
                  "flanneld, k3s)\n\n") != std::string::npos);
  CHECK(text.find(kHeader) == std::string::npos);
  CHECK(text.find("  nf_tables  unavailable: nf_tables module not loaded\n"
                  "  x_tables   2 tables, 2 chains, at least 12 iptables rules\n") !=
        std::string::npos);
  CHECK(text.find("  /var/lib/k0s/bin: shim installed, state legacy\n") != std::string::npos);
}

TEST_CASE("report text: a pending wrapper in another netns, probed") {
  AuditEvidence a = node(Mode::nft);
  AuditedComponent ac = component("calico-node", 7, Mode::legacy, {1, 8, 9}, false);
  ac.c.pids = {7, 9};
  ac.c.iptables.resolved = Resolved{"/usr/sbin/iptables", {}};
  ac.c.iptables.info = BinaryInfo{BinaryKind::iptables_wrapper, std::nullopt, std::nullopt, true};
  ac.how.mode.reset();
  ac.how.wrapper_pending = true;
  ac.how.source = "wrapper";
  ac.probe = ProbeResult{true, Mode::legacy, "iptables v1.8.9 (legacy)"};
  a.components.push_back(ac);
  // The pids fill the column together (each one was padded to its width).
  CHECK(
      audit_text(a, {}, ReportStyle{false})
          .find("  calico-node  7,9          pending  -        /usr/sbin/iptables                 "
                "wrapper [other netns] [probe: iptables v1.8.9 (legacy)]\n") != std::string::npos);
}

TEST_CASE("report text: findings with evidence and fix, coloured only when asked") {
  AuditEvidence a = node(Mode::nft);
  const std::vector<Finding> f = {{"MODE_SPLIT",
                                   Severity::error,
                                   "two backends",
                                   {"kubelet: nft", "", "calico: legacy"},
                                   "pin it"},
                                  {"NOTE", Severity::info, "a note", {}, "nothing"}};
  const std::string findings =
      "          - kubelet: nft\n"
      "          - calico: legacy\n"
      "          fix: pin it\n";
  const std::string plain = audit_text(a, f, ReportStyle{false});
  CHECK(
      plain.ends_with("findings\n"
                      "  error   MODE_SPLIT: two backends\n" +
                      findings +
                      "  info    NOTE: a note\n"
                      "          fix: nothing\n"));
  CHECK(plain.find('\x1b') == std::string::npos);

  const std::string colour = audit_text(a, f, ReportStyle{true});
  CHECK(colour.starts_with("mode: \x1b[1mnft\x1b[0m (decided by hint)\n"));
  CHECK(colour.find("  \x1b[1;31merror  \x1b[0m MODE_SPLIT: two backends\n" + findings) !=
        std::string::npos);
  CHECK(colour.find("  \x1b[36minfo   \x1b[0m NOTE: a note\n") != std::string::npos);
}

TEST_CASE("report text: terminal escapes from a container are shown, not obeyed") {
  AuditEvidence a = node(Mode::nft);
  AuditedComponent ac = component("kube\x1b[2Jproxy", 42, Mode::nft);
  ac.c.iptables.resolved = Resolved{"/usr/sbin/X\x1b[31mFAKE", {}};
  ac.how.source = "FELIX_IPTABLESBACKEND=\x07\x1b]0;owned\x07";
  a.components.push_back(ac);
  const std::vector<Finding> f = {{"X", Severity::warning, "line\none", {"\x07"}, "fix\r"}};
  const std::string text = audit_text(a, f, ReportStyle{false});
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  CHECK(text.find("kube\\x1b[2Jproxy") != std::string::npos);
  CHECK(text.find("/usr/sbin/X\\x1b[31mFAKE") != std::string::npos);
  CHECK(text.find("FELIX_IPTABLESBACKEND=\\x07\\x1b]0;owned\\x07") != std::string::npos);
  CHECK(text.find("X: line\\x0aone\n          - \\x07\n          fix: fix\\x0d\n") !=
        std::string::npos);
}

TEST_CASE("detect text: the mode, every step with what it said, the warnings") {
  Decision d = decision(Mode::legacy, Rule::rule_count);
  d.warnings = {"kubelet's hint is in nf_tables"};
  CHECK(detect_text(d) ==
        "mode: legacy (decided by rule-count)\n"
        "  override        -       reason text for override\n"
        "  hint            -       reason text for hint\n"
        "* rule-count      legacy  reason text for rule-count\n"
        "  host-binary     -       reason text for host-binary\n"
        "  kernel-default  -       reason text for kernel-default\n"
        "warning: kubelet's hint is in nf_tables\n");
}

}  // namespace iptmode
