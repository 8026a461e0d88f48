// Each wrapper family is told apart by what its bytes say, and predicted by
// its own algorithm. The fixtures are tiny scripts written here with only
// the features that tell the families apart (the upstream revision each
// models is named); the root tests run the real algorithms on real roots.
#include "core/wrapper.h"

#include <string>

#include <doctest/doctest.h>

#include "audit/wrapper_prediction.h"
#include "core/binary.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using test::chain;
using test::kernel;
using test::table;

const std::string kSaves =
    "n=$( (iptables-legacy-save; ip6tables-legacy-save) | grep '^-' | wc -l)\n"
    "m=$( (iptables-nft-save; ip6tables-nft-save) | grep '^-' | wc -l)\n";

// kubernetes-sigs/iptables-wrappers tag v1 (5be13bb), the plain variant.
const std::string kSigsV1 = "#!/bin/sh\n" + kSaves +
                            "[ $n -ge $m ] && mode=legacy || mode=nft\n"
                            "update-alternatives --set iptables /usr/sbin/iptables-$mode\n"
                            "echo 'Unable to redirect iptables binaries.' >&2\n";
// Tag v1, as written for iptables 1.8.3 (need_timeout): 10 legacy rules first.
const std::string kSigsV1Timeout = "#!/bin/sh\n" + kSaves +
                                   "if [ $n -ge 10 ]; then mode=legacy; fi\n"
                                   "echo 'Unable to redirect iptables binaries.' >&2\n";
// Tag v2 (e139a11): the hint chains first.
const std::string kSigsV2 =
    "#!/bin/sh\n"
    "iptables-nft-save -t mangle | grep -E '^:(KUBE-IPTABLES-HINT)'\n" +
    kSaves + "echo 'Unable to redirect iptables binaries.' >&2\n";
// kubernetes/release images/build/debian-iptables/bullseye/iptables-wrapper
// (c05a4f1): counts only, update-alternatives under set -e, no message.
const std::string kRelease = "#!/bin/sh\nset -e\n" + kSaves +
                             "update-alternatives --set iptables \"/usr/sbin/iptables-${mode}\"\n"
                             "exec \"$0\" \"$@\"\n";
// k3s-io/k3s-root iptables-detect/iptables-detect.sh (635aa35).
const std::string kK3s = "#!/bin/sh\n[ -n \"$IPTABLES_MODE\" ] && mode=$IPTABLES_MODE\n" + kSaves +
                         "xtables-set-mode.sh -m ${mode}\n";
const std::string kUnknown = "#!/bin/bash\n" + kSaves + "ln -sf xtables-$mode-multi iptables\n";

WrapperKind family(const std::string& bytes) {
  const BinaryInfo info = classify_binary(bytes);
  REQUIRE(info.kind == BinaryKind::iptables_wrapper);
  return info.wrapper;
}

TEST_CASE("wrapper: each family by its bytes") {
  CHECK(family(kSigsV1) == WrapperKind::sigs_v1);
  CHECK(family(kSigsV1Timeout) == WrapperKind::sigs_v1_timeout);
  CHECK(family(kSigsV2) == WrapperKind::sigs_v2);
  CHECK(family(kRelease) == WrapperKind::k8s_release);
  CHECK(family(kK3s) == WrapperKind::k3s_detect);
  CHECK(family(kUnknown) == WrapperKind::unknown);
  // v3: a Go ELF with its module path.
  const std::string go = std::string("\x7f") + "ELF" + std::string(100, '\0') +
                         "github.com/kubernetes-sigs/iptables-wrappers/internal/iptables" +
                         std::string(100, '\0');
  CHECK(family(go) == WrapperKind::sigs_v3);
  // Not a wrapper at all.
  CHECK(classify_binary("#!/bin/sh\necho hi\n").wrapper == WrapperKind::none);
}

TEST_CASE("wrapper: the families' names") {
  CHECK(to_string(WrapperKind::k8s_release) == "kubernetes/release debian-iptables");
  CHECK(to_string(WrapperKind::k3s_detect) == "k3s-root iptables-detect.sh");
  CHECK(to_string(WrapperKind::sigs_v3) == "kubernetes-sigs v3");
}

Table rules(const char* family, int n) {
  return table(family, "filter", {chain("INPUT", static_cast<std::uint64_t>(n))});
}

std::string pick(WrapperKind kind, const KernelState& k, const WrapperInputs& in = {}) {
  const auto p = predict_wrapper(kind, k, in);
  return p.mode ? std::string(to_string(*p.mode)) : "none";
}

TEST_CASE("wrapper prediction: an nft node with only kubelet's nft hint") {
  // The case that told the families apart (issue 10): the hint chain has no
  // rules, so the counting wrappers tie at 0 and 0.
  const KernelState k = kernel({test::hint_table()}, {});
  CHECK(pick(WrapperKind::sigs_v2, k) == "nft");
  CHECK(pick(WrapperKind::sigs_v3, k) == "nft");
  CHECK(pick(WrapperKind::k8s_release, k) == "legacy");
  CHECK(pick(WrapperKind::sigs_v1, k) == "legacy");
  // k3s: no rules at all, so its fallbacks decide.
  WrapperInputs host{std::nullopt, false, std::nullopt, "debian", 12};
  CHECK(pick(WrapperKind::k3s_detect, k, host) == "nft");
  CHECK(pick(WrapperKind::unknown, k) == "none");
}

TEST_CASE("wrapper prediction: rule counts, and their ties") {
  const KernelState tie = kernel({rules("ip", 3)}, {rules("ip", 3)});
  CHECK(pick(WrapperKind::sigs_v1, tie) == "legacy");
  CHECK(pick(WrapperKind::k8s_release, tie) == "legacy");
  CHECK(pick(WrapperKind::sigs_v2, tie) == "nft");
  CHECK(pick(WrapperKind::sigs_v3, tie) == "nft");
  CHECK(pick(WrapperKind::k3s_detect, tie) == "nft");
  // 10 legacy rules decide legacy for v1 (1.8.3) and k3s, whatever nft has.
  const KernelState many = kernel({rules("ip", 50)}, {rules("ip6", 10)});
  CHECK(pick(WrapperKind::sigs_v1_timeout, many) == "legacy");
  CHECK(pick(WrapperKind::k3s_detect, many) == "legacy");
  CHECK(pick(WrapperKind::sigs_v1, many) == "nft");
  CHECK(pick(WrapperKind::sigs_v2, many) == "nft");
  // The hint beats the counts for v2 and v3.
  const KernelState hinted = kernel({rules("ip", 1)}, {test::hint_table(), rules("ip", 0)});
  CHECK(pick(WrapperKind::sigs_v2, hinted) == "legacy");
  CHECK(pick(WrapperKind::sigs_v3, hinted) == "legacy");
  CHECK(pick(WrapperKind::k8s_release, hinted) == "nft");
}

TEST_CASE("wrapper prediction: k3s-root's override and fallbacks") {
  const KernelState empty = kernel({}, {});
  WrapperInputs in;
  in.iptables_mode = "legacy";
  CHECK(pick(WrapperKind::k3s_detect, kernel({rules("ip", 40)}, {}), in) == "legacy");
  in.iptables_mode.reset();
  CHECK(pick(WrapperKind::k3s_detect, empty, in) == "none");  // containerized unknown
  in.containerized = true;
  CHECK(pick(WrapperKind::k3s_detect, empty, in) == "legacy");
  in.containerized = false;
  in.alternatives = "/usr/sbin/iptables-nft";
  CHECK(pick(WrapperKind::k3s_detect, empty, in) == "nft");
  in.alternatives = "/usr/sbin/iptables-legacy";
  CHECK(pick(WrapperKind::k3s_detect, empty, in) == "legacy");
  in.alternatives.reset();
  struct Os {
    const char* id;
    int major;
    const char* want;
  };
  const Os oses[] = {{"alpine", 3, "legacy"}, {"ubuntu", 22, "legacy"},
                     {"debian", 9, "legacy"}, {"debian", 11, "nft"},
                     {"centos", 7, "legacy"}, {"redhat", 9, "nft"},
                     {"fedora", 39, "none"},  {"", 0, "nft"}};
  for (const auto& [os, major, want] : oses) {
    CAPTURE(os);
    in.os_id = os;
    in.os_major = major;
    CHECK(pick(WrapperKind::k3s_detect, empty, in) == want);
  }
}

}  // namespace
}  // namespace iptmode
