#include "detect/nft_reader.h"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace iptmode {
namespace {

// A dump the kernel had to restart (a ruleset change mid-dump) is asked for
// again; past this many tries, the ruleset is changing too fast to read.
constexpr int kDumpTries = 16;

std::string family_name(std::uint32_t f) {
  switch (f) {
    case NFPROTO_IPV4:
      return "ip";
    case NFPROTO_IPV6:
      return "ip6";
    case NFPROTO_INET:
      return "inet";
    case NFPROTO_ARP:
      return "arp";
    case NFPROTO_BRIDGE:
      return "bridge";
    case NFPROTO_NETDEV:
      return "netdev";
    default:
      return fmt::format("family-{}", f);
  }
}

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

std::unexpected<Error> nl_error(std::string_view what, int e) {
  std::string fix;
  if (e == EPERM || e == EACCES) fix = " (reading nf_tables needs CAP_NET_ADMIN: run as root)";
  return fail(fmt::format("nf_tables {}: {}{}", what, std::strerror(e), fix), e);
}

using MsgFn = std::function<void(const nlmsghdr*)>;

// One NLM_F_DUMP request of `type`, each answer message handed to `on_msg`.
// `reset` runs before every try so an interrupted dump leaves no partial data.
Result<void> dump(std::uint16_t type, const std::function<void()>& reset, const MsgFn& on_msg) {
  std::vector<char> buf(64 * 1024);
  for (int attempt = 0; attempt < kDumpTries; ++attempt) {
    reset();
    Socket nl(mnl_socket_open(NETLINK_NETFILTER));
    if (!nl) return nl_error("socket", errno);
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) return nl_error("bind", errno);
    const unsigned portid = mnl_socket_get_portid(nl.get());
    const auto seq =
        static_cast<std::uint32_t>(std::time(nullptr)) + static_cast<std::uint32_t>(attempt);

    alignas(nlmsghdr) char req[256];  // a dump request is a bare header
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, type, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
    if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) return nl_error("send", errno);

    auto cb = [](const nlmsghdr* m, void* data) -> int {
      (*static_cast<const MsgFn*>(data))(m);
      return MNL_CB_OK;
    };
    bool interrupted = false;
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) {
          interrupted = true;
          break;
        }
        return nl_error("receive", errno);
      }
      int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, cb,
                         const_cast<MsgFn*>(&on_msg));
      if (r == MNL_CB_STOP) return {};
      if (r < 0) {
        // libmnl reports NLM_F_DUMP_INTR as EINTR.
        if (errno == EINTR) {
          interrupted = true;
          break;
        }
        return nl_error("dump", errno);
      }
    }
    if (!interrupted) return {};
  }
  return fail(fmt::format("nf_tables dump: interrupted {} times in a row (the ruleset is changing "
                          "constantly); try again",
                          kDumpTries),
              EINTR);
}

std::string key(std::string_view family, std::string_view table, std::string_view chain = {}) {
  std::string k;
  k.reserve(family.size() + table.size() + chain.size() + 2);
  k.append(family).push_back('\0');
  k.append(table).push_back('\0');
  k.append(chain);
  return k;
}

}  // namespace

Result<BackendState> read_nft(bool count_rules) {
  BackendState state;
  // Tables first, so tables without chains are seen too.
  std::map<std::string, std::size_t> table_index;
  auto reset_tables = [&] {
    state.tables.clear();
    table_index.clear();
  };
  auto on_table = [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_table, decltype(&nftnl_table_free)> t(nftnl_table_alloc(),
                                                                nftnl_table_free);
    if (!t || nftnl_table_nlmsg_parse(m, t.get()) < 0) return;
    Table tab;
    tab.family = family_name(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY));
    tab.name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
    table_index[key(tab.family, tab.name)] = state.tables.size();
    state.tables.push_back(std::move(tab));
  };
  if (auto r = dump(NFT_MSG_GETTABLE, reset_tables, on_table); !r)
    return std::unexpected(r.error());

  auto reset_chains = [&] {
    for (auto& t : state.tables) t.chains.clear();
  };
  auto on_chain = [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_chain, decltype(&nftnl_chain_free)> c(nftnl_chain_alloc(),
                                                                nftnl_chain_free);
    if (!c || nftnl_chain_nlmsg_parse(m, c.get()) < 0) return;
    std::string family = family_name(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY));
    std::string table = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE);
    auto it = table_index.find(key(family, table));
    if (it == table_index.end()) {
      // A table created between the two dumps.
      table_index[key(family, table)] = state.tables.size();
      state.tables.push_back(Table{family, table, {}});
      it = table_index.find(key(family, table));
    }
    Chain chain;
    chain.name = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME);
    chain.base = nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM);
    state.tables[it->second].chains.push_back(std::move(chain));
  };
  if (auto r = dump(NFT_MSG_GETCHAIN, reset_chains, on_chain); !r)
    return std::unexpected(r.error());

  if (count_rules) {
    if (auto r = count_nft_rules(state); !r) return std::unexpected(r.error());
  }
  return state;
}

Result<void> count_nft_rules(BackendState& state) {
  std::unordered_map<std::string, std::uint64_t*> counters;
  for (auto& t : state.tables)
    for (auto& c : t.chains) counters[key(t.family, t.name, c.name)] = nullptr;
  auto reset = [&] {
    for (auto& t : state.tables)
      for (auto& c : t.chains) {
        c.rules = 0;
        counters[key(t.family, t.name, c.name)] = &*c.rules;
      }
  };
  // Only the rule's table and chain are read, not its expressions: at 100,000
  // rules, parsing every expression would cost more than the dump itself.
  auto on_rule = [&](const nlmsghdr* m) {
    const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(m));
    const nlattr* tb[NFTA_RULE_MAX + 1] = {};
    auto attr_cb = [](const nlattr* a, void* data) -> int {
      auto type = mnl_attr_get_type(a);
      if ((type == NFTA_RULE_TABLE || type == NFTA_RULE_CHAIN) &&
          mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
        static_cast<const nlattr**>(data)[type] = a;
      return MNL_CB_OK;
    };
    if (mnl_attr_parse(m, sizeof(nfgenmsg), attr_cb, tb) < 0) return;
    if (!tb[NFTA_RULE_TABLE] || !tb[NFTA_RULE_CHAIN]) return;
    auto it =
        counters.find(key(family_name(gen->nfgen_family), mnl_attr_get_str(tb[NFTA_RULE_TABLE]),
                          mnl_attr_get_str(tb[NFTA_RULE_CHAIN])));
    // A rule in a chain created after the chain dump is not counted; the
    // next run will see it.
    if (it != counters.end() && it->second) ++*it->second;
  };
  if (auto r = dump(NFT_MSG_GETRULE, reset, on_rule); !r) return std::unexpected(r.error());
  state.rules_counted = true;
  return {};
}

}  // namespace iptmode
