// node-problem-detector's custom plugin reads exactly one line of output
// (audit/report_npd.cpp): the first finding that reaches --fail-on, else that
// the backend is consistent; and a line of its own when the audit could not
// run.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "audit/findings.h"
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
  CHECK(npd_could_not_run("/etc/x.conf:1: \x1b[2J") ==
        "audit could not run: /etc/x.conf:1: \\x1b[2J\n");
}

// node-problem-detector cuts what it reads at max_output_length bytes (80 by
// default, deploy/'s configs 200): a line longer than that would lose its
// end blind, possibly inside a character.
bool fits(const std::string& line) {
  return line.ends_with("\n") && line.size() <= kNpdLineMax + 1 &&
         line.find('\n') == line.size() - 1;
}

TEST_CASE("report npd: 5,000 pids give a short line that says how many were left out") {
  AuditEvidence a = node(Mode::nft);
  AuditedComponent kp = component("kube-proxy", 100, Mode::legacy);
  kp.c.pids.clear();
  for (int pid = 100; pid < 5100; ++pid) kp.c.pids.push_back(pid);
  a.components.push_back(kp);
  const auto findings = find_problems(a);
  REQUIRE_FALSE(findings.empty());
  REQUIRE(findings[0].code == "MODE_SPLIT");
  REQUIRE(findings[0].message.size() > 20000);  // the finding itself keeps every pid
  const std::string line = npd_line(a, findings, Severity::error);
  CAPTURE(line);
  CHECK(fits(line));
  CHECK(
      line.starts_with("MODE_SPLIT: writers on different backends: kube-proxy (pid "
                       "100,101,102 and 4997 more) on legacy, the node on nft"));
}

TEST_CASE("report npd: short lists and other numbers are left alone") {
  const std::vector<Finding> f = {{"X",
                                   Severity::error,
                                   "kubelet (pid 7,8,9) 1.8.7 and 1.8.9; 10.244.0.0/16, v1,2,3,4",
                                   {},
                                   ""}};
  CHECK(npd_line(node(Mode::nft), f, Severity::error) ==
        "X: kubelet (pid 7,8,9) 1.8.7 and 1.8.9; 10.244.0.0/16, v1,2,3,4\n");
}

TEST_CASE("report npd: a message too long is cut at a character and says by how much") {
  std::string message;
  while (message.size() < 600) message += "r\xc3\xa8gle ";  // "règle ": two-byte characters
  const std::vector<Finding> f = {{"LONG", Severity::error, message, {}, ""}};
  const std::string line = npd_line(node(Mode::nft), f, Severity::error);
  CAPTURE(line);
  CHECK(fits(line));
  const auto cut = line.rfind("... (");
  REQUIRE(cut != std::string::npos);
  CHECK(line.ends_with(" bytes more: iptmode audit)\n"));
  // Cut between characters: what is kept is a prefix of the message that
  // does not end in the middle of "è".
  const std::string kept = line.substr(6, cut - 6);
  CHECK(message.starts_with(kept));
  CHECK((static_cast<unsigned char>(message[kept.size()]) & 0xc0) != 0x80);
  const std::size_t more = std::stoul(line.substr(cut + 5));
  CHECK(kept.size() + more == message.size());
  CHECK(fits(npd_could_not_run(message)));
}

}  // namespace iptmode
