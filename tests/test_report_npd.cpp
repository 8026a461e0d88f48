// node-problem-detector's custom plugin reads exactly one line of output
// (audit/report_npd.cpp): the first finding that reaches --fail-on, else that
// the backend is consistent; and a line of its own when the audit could not
// run.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "audit/report.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using namespace test;

const std::vector<Finding> kFindings = {
    {"MODE_SPLIT", Severity::error, "kubelet writes nft, calico-node legacy", {}, "fix"},
    {"VERSION_SKEW", Severity::warning, "1.8.7 reads 1.8.9's rules wrong", {}, "fix"},
    {"FIREWALLD", Severity::info, "firewalld runs", {}, "fix"}};

}  // namespace

TEST_CASE("report npd: the first finding that reaches --fail-on, else consistent") {
  const AuditEvidence a = node(Mode::nft);
  CHECK(npd_line(a, kFindings, Severity::warning) ==
        "MODE_SPLIT: kubelet writes nft, calico-node legacy\n");
  const std::vector<Finding> warnings(kFindings.begin() + 1, kFindings.end());
  CHECK(npd_line(a, warnings, Severity::warning) ==
        "VERSION_SKEW: 1.8.7 reads 1.8.9's rules wrong\n");
  CHECK(npd_line(a, warnings, Severity::error) == "iptables backend consistent: nft (hint)\n");
  const std::vector<Finding> info(kFindings.begin() + 2, kFindings.end());
  CHECK(npd_line(a, info, Severity::info) == "FIREWALLD: firewalld runs\n");
  CHECK(npd_line(node(Mode::legacy), {}, Severity::info) ==
        "iptables backend consistent: legacy (hint)\n");
}

TEST_CASE("report npd: one line, whatever a message holds") {
  const std::vector<Finding> f = {{"X", Severity::error, "two\nlines\r\x1b[2J", {}, "fix"}};
  const std::string line = npd_line(node(Mode::nft), f, Severity::warning);
  CHECK(line == "X: two\\x0alines\\x0d\\x1b[2J\n");
}

TEST_CASE("report npd: could not run") {
  CHECK(npd_could_not_run("audit ... needs root: run it with sudo") ==
        "audit could not run: audit ... needs root: run it with sudo\n");
}

}  // namespace iptmode
