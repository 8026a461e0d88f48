// walk_xtables over hand-built blobs: the walk the kernel's real tables go
// through (tests/test_detect_kernel.cpp checks those against
// iptables-legacy-save); here, what a blob that does not add up gives: an
// error naming the offset, never a read out of bounds or a wrong count.
#include <doctest/doctest.h>

#include <netinet/in.h>

#include <cstring>
#include <vector>

#include <linux/netfilter_ipv4/ip_tables.h>

#include "detect/xtables_blob.h"

namespace iptmode {
namespace {

// Appends one entry with a target named `target` and `data` bytes after it.
void entry(std::vector<std::byte>& blob, const char* target, const char* error_name = nullptr) {
  constexpr std::size_t kTarget = XT_ALIGN(sizeof(xt_entry_target) + XT_FUNCTION_MAXNAMELEN);
  const std::size_t at = blob.size();
  blob.resize(at + sizeof(ipt_entry) + kTarget);
  ipt_entry e{};
  e.target_offset = sizeof(ipt_entry);
  e.next_offset = sizeof(ipt_entry) + kTarget;
  std::memcpy(blob.data() + at, &e, sizeof e);
  xt_entry_target t{};
  t.u.user.target_size = kTarget;
  std::strncpy(t.u.user.name, target, sizeof t.u.user.name - 1);
  std::memcpy(blob.data() + at + sizeof e, &t, sizeof t);
  if (error_name != nullptr)
    std::memcpy(blob.data() + at + sizeof e + sizeof t, error_name, std::strlen(error_name));
}

struct Built {
  XtablesInfo info;
  std::vector<std::byte> blob;
};

// INPUT with `rules` rules and its policy, user chain FOO with one rule, the end.
Built table(int rules) {
  Built b;
  b.info.valid_hooks = 1u << NF_INET_LOCAL_IN;
  b.info.hook_entry[NF_INET_LOCAL_IN] = 0;
  for (int i = 0; i < rules; ++i) entry(b.blob, "");
  b.info.underflow[NF_INET_LOCAL_IN] = static_cast<std::uint32_t>(b.blob.size());
  entry(b.blob, "");              // policy
  entry(b.blob, "ERROR", "FOO");  // head
  entry(b.blob, "DROP");
  entry(b.blob, "");  // RETURN tail
  entry(b.blob, "ERROR", "ERROR");
  b.info.num_entries = static_cast<std::uint32_t>(rules + 5);
  b.info.size = static_cast<std::uint32_t>(b.blob.size());
  return b;
}

}  // namespace

TEST_CASE(
    "xtables walk: builtin and user chains with their rules, policies and tails not counted") {
  Built b = table(3);
  auto chains = walk_xtables(false, b.info, b.blob);
  REQUIRE(chains);
  REQUIRE(chains->size() == 2);
  CHECK((*chains)[0].name == "INPUT");
  CHECK((*chains)[0].base);
  CHECK((*chains)[0].rules == 3);
  CHECK((*chains)[1].name == "FOO");
  CHECK_FALSE((*chains)[1].base);
  CHECK((*chains)[1].rules == 1);
}

TEST_CASE("xtables walk: a blob that does not add up is an error, not a count") {
  SUBCASE("num_entries disagrees") {
    Built b = table(2);
    b.info.num_entries += 1;
    auto r = walk_xtables(false, b.info, b.blob);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("do not add up") != std::string::npos);
  }
  SUBCASE("truncated in the middle of an entry") {
    Built b = table(2);
    b.blob.resize(b.blob.size() - 8);
    CHECK_FALSE(walk_xtables(false, b.info, b.blob));
  }
  SUBCASE("a next_offset of zero would loop forever") {
    Built b = table(1);
    ipt_entry e{};
    std::memcpy(&e, b.blob.data(), sizeof e);
    e.next_offset = 0;
    std::memcpy(b.blob.data(), &e, sizeof e);
    auto r = walk_xtables(false, b.info, b.blob);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("offset 0") != std::string::npos);
  }
  SUBCASE("no ERROR entry at the end") {
    Built b = table(1);
    b.blob.resize(b.blob.size() - (b.blob.size() - b.info.underflow[NF_INET_LOCAL_IN]) + 0);
    entry(b.blob, "");
    CHECK_FALSE(walk_xtables(false, b.info, b.blob));
  }
}

}  // namespace iptmode
