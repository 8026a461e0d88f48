// k0s's own detection at its next start, step by step, as
// pkg/component/iptables/iptables.go (k0s v1.36.3+k0s.2) runs it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "audit/k0s_next_choice.h"

namespace iptmode {
namespace {

Table table(std::string family, std::string name, std::vector<std::pair<std::string, int>> chains) {
  Table t{std::move(family), std::move(name), {}};
  for (auto& [c, rules] : chains)
    t.chains.push_back(Chain{c, false, static_cast<std::uint64_t>(rules), true});
  return t;
}

BackendState backend(std::vector<Table> tables) {
  BackendState b;
  b.rules_counted = true;
  b.tables = std::move(tables);
  return b;
}

BinaryEvidence host(Mode m) {
  BinaryEvidence e;
  e.path_var = "/usr/sbin:/usr/bin";
  e.resolved = Resolved{"/usr/sbin/xtables-nft-multi", {}};
  if (m == Mode::legacy) e.resolved->path = "/usr/sbin/xtables-legacy-multi";
  e.info = BinaryInfo{};
  e.info->kind = m == Mode::nft ? BinaryKind::xtables_nft_multi : BinaryKind::xtables_legacy_multi;
  e.info->mode = m;
  return e;
}

BinaryEvidence no_iptables() {
  BinaryEvidence e;
  e.path_var = "/usr/sbin:/usr/bin";
  e.note = "not found";
  return e;
}

K0sInputs inputs(const KernelState& k, BinaryEvidence ipt = no_iptables(),
                 std::string release = "6.1.0-18-amd64") {
  return K0sInputs{&k, {"/usr/local/bin/k0s", "worker"}, std::move(ipt), std::move(release)};
}

}  // namespace

TEST_CASE("k0s next choice: save lines are 4 per table plus chains plus rules, ip and ip6") {
  // Measured with the real 1.8.9: filter (3 chains, 1 rule) and nat (4 + 1
  // user chain, 1 rule) print 8 + 10 = 18 lines.
  auto b = backend(
      {table("ip", "filter", {{"INPUT", 1}, {"FORWARD", 0}, {"OUTPUT", 0}}),
       table("ip", "nat",
             {{"PREROUTING", 0}, {"INPUT", 0}, {"OUTPUT", 0}, {"POSTROUTING", 0}, {"FOO", 1}}),
       table("ip6", "raw", {{"PREROUTING", 0}, {"OUTPUT", 0}}),
       // Native tables are not shown by iptables-nft-save.
       table("inet", "firewalld", {{"filter_INPUT", 40}}),
       table("ip", "kube-proxy", {{"services", 12}})});
  auto l = k0s_save_lines(b, Mode::nft);
  REQUIRE(l);
  CHECK(l->n == 18 + 6);
  CHECK(l->exact);
  // iptables-nft made only INPUT in the kernel; its save prints all three
  // built-in chains (the real 1.8.7, 1.8.9 and 1.8.11: tests/test_audit.cpp).
  auto lazy = backend({table("ip", "filter", {{"INPUT", 2}})});
  CHECK(k0s_save_lines(lazy, Mode::nft)->n == 4 + 3 + 2);
  CHECK(k0s_save_lines(lazy, Mode::legacy)->n == 4 + 1 + 2);
  // A count that stopped early is a lower bound.
  b.tables[0].chains[0].rules_exact = false;
  CHECK_FALSE(k0s_save_lines(b, Mode::nft)->exact);
  // No x_tables module: legacy-save prints nothing and succeeds.
  BackendState none;
  none.available = false;
  CHECK(k0s_save_lines(none, Mode::legacy)->n == 0);
  // nf_tables absent and not loadable: k0s's nft save fails.
  CHECK_FALSE(k0s_save_lines(none, Mode::nft));
  none.loadable = true;  // the kernel loads nf_tables for the save
  CHECK(k0s_save_lines(none, Mode::nft)->n == 0);
}

TEST_CASE("k0s next choice: --iptables-mode decides, unvalidated") {
  KernelState k;
  k.nft = backend({table("ip", "mangle", {{"KUBE-IPTABLES-HINT", 0}})});
  auto in = inputs(k);
  in.argv = {"/usr/local/bin/k0s", "worker", "--iptables-mode=legacy", "--token-file=/t"};
  auto c = predict_k0s_choice(in);
  CHECK(c.step == K0sStep::flag);
  CHECK(c.mode == "legacy");
  in.argv = {"k0s", "controller", "--enable-worker", "--iptables-mode", "nft"};
  CHECK(predict_k0s_choice(in).mode == "nft");
  // A typo is linked as given: xtables-legcy-multi does not exist.
  in.argv = {"k0s", "worker", "--iptables-mode=legcy"};
  c = predict_k0s_choice(in);
  CHECK(c.mode == "legcy");
  CHECK_FALSE(k0s_mode_valid(*c.flag));
  // "auto" and "" run the detection.
  in.argv = {"k0s", "worker", "--iptables-mode=auto"};
  c = predict_k0s_choice(in);
  CHECK(c.step == K0sStep::hint);
  CHECK(c.mode == "nft");
  CHECK(k0s_mode_valid("auto"));
  CHECK(k0s_mode_valid(""));
  CHECK_FALSE(k0s_iptables_mode_flag({"k0s", "worker", "--", "--iptables-mode=nft"}));
}

TEST_CASE("k0s next choice: the hint, nft before legacy, by substring") {
  KernelState k;
  k.nft = backend({table("ip", "filter", {{"INPUT", 500}})});
  k.legacy = backend({table("ip6", "mangle", {{"KUBE-KUBELET-CANARY", 0}})});
  auto c = predict_k0s_choice(inputs(k, host(Mode::nft)));
  CHECK(c.step == K0sStep::hint);
  CHECK(c.mode == "legacy");
  // nf_tables' hint is asked first: with hints in both, nft wins.
  k.nft.tables.push_back(table("ip", "mangle", {{"KUBE-IPTABLES-HINT", 0}}));
  CHECK(predict_k0s_choice(inputs(k)).mode == "nft");
  // k0s matches substrings of the save's lines: a chain named after the hint counts.
  k.nft.tables.pop_back();
  k.nft.tables.push_back(table("ip", "nat", {{"KUBE-IPTABLES-HINT-OLD", 0}}));
  c = predict_k0s_choice(inputs(k));
  CHECK(c.mode == "nft");
  CHECK(c.why.find("KUBE-IPTABLES-HINT-OLD") != std::string::npos);
  // A hint in a native table is not in iptables-nft-save's output.
  k.nft.tables.back() = table("inet", "other", {{"KUBE-IPTABLES-HINT", 0}});
  CHECK(predict_k0s_choice(inputs(k)).mode == "legacy");
}

TEST_CASE("k0s next choice: more legacy lines than nft lines, not rules") {
  KernelState k;
  // nft: one rule in one table (4 + 3 + 1 = 8 lines); legacy: no rule but
  // two tables of built-in chains (4 + 3, 4 + 5 = 16 lines). A rule count
  // says nft; k0s's line count says legacy.
  k.nft = backend({table("ip", "filter", {{"INPUT", 1}, {"FORWARD", 0}, {"OUTPUT", 0}})});
  k.legacy = backend(
      {table("ip", "filter", {{"INPUT", 0}, {"FORWARD", 0}, {"OUTPUT", 0}}),
       table(
           "ip", "mangle",
           {{"PREROUTING", 0}, {"INPUT", 0}, {"FORWARD", 0}, {"OUTPUT", 0}, {"POSTROUTING", 0}})});
  auto c = predict_k0s_choice(inputs(k, host(Mode::nft)));
  CHECK(c.step == K0sStep::line_count);
  CHECK(c.mode == "legacy");
  REQUIRE(c.legacy_lines);
  CHECK(c.legacy_lines->n == 16);
  CHECK(c.nft_lines->n == 8);
  // Equal lines: not more, k0s goes on to the host's iptables.
  k.nft.tables[0].chains[0].rules = 9;
  c = predict_k0s_choice(inputs(k, host(Mode::nft)));
  CHECK(c.step == K0sStep::host_iptables);
  CHECK(c.mode == "nft");
  // A lower bound below the other count cannot tell.
  k.nft.tables[0].chains[0].rules = 1;
  k.nft.tables[0].chains[0].rules_exact = false;
  k.nft.rules_exact = false;
  c = predict_k0s_choice(inputs(k, host(Mode::nft)));
  CHECK(c.step == K0sStep::line_count);
  CHECK_FALSE(c.mode);
  // nf_tables' save fails: the count is skipped.
  k.nft = BackendState{};
  k.nft.available = false;
  c = predict_k0s_choice(inputs(k, host(Mode::nft)));
  CHECK(c.step == K0sStep::host_iptables);
}

TEST_CASE("k0s next choice: the host's iptables --version, then the kernel's major") {
  const KernelState k{backend({}), backend({})};  // both empty: 0 lines each
  auto c = predict_k0s_choice(inputs(k, host(Mode::legacy)));
  CHECK(c.step == K0sStep::host_iptables);
  CHECK(c.mode == "legacy");
  CHECK(predict_k0s_choice(inputs(k, host(Mode::nft))).mode == "nft");
  // A wrapper picks when run: k0s's answer is not known without running it.
  auto w = host(Mode::nft);
  w.info->kind = BinaryKind::iptables_wrapper;
  w.info->mode.reset();
  c = predict_k0s_choice(inputs(k, w));
  CHECK(c.step == K0sStep::host_iptables);
  CHECK_FALSE(c.mode);
  // No iptables on k0s's PATH: kernel major < 5 is legacy.
  c = predict_k0s_choice(inputs(k, no_iptables(), "4.19.0-26-amd64"));
  CHECK(c.step == K0sStep::kernel_major);
  CHECK(c.mode == "legacy");
  CHECK(predict_k0s_choice(inputs(k, no_iptables(), "5.10.0-28-amd64")).mode == "nft");
  // k0s reads one byte: a 10.x kernel reads as major 1.
  CHECK(predict_k0s_choice(inputs(k, no_iptables(), "10.2.0")).mode == "legacy");
  // An unreadable osrelease is 0 to k0s.
  CHECK(predict_k0s_choice(inputs(k, no_iptables(), "")).mode == "legacy");
}

}  // namespace iptmode
