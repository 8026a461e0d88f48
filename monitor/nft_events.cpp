#include "monitor/nft_events.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <libmnl/libmnl.h>

#include "audit/foreign_rules.h"
#include "detect/nft_session.h"
#include "monitor/verdict.h"

namespace iptmode::monitor {
namespace {

// A notification can be as large as one rule with all its expressions.
constexpr std::size_t kRecvBuffer = 256 * 1024;

struct Attrs {
  const nlattr* a[NFTA_RULE_MAX + NFTA_CHAIN_MAX + NFTA_GEN_MAX + 8] = {};
};

// Every attribute of one message by type, whatever the message: each case
// below reads only its own message type's attribute numbers.
int keep_attr(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attrs*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type < sizeof attrs->a / sizeof attrs->a[0]) attrs->a[type] = attr;
  return MNL_CB_OK;
}

std::string str_attr(const Attrs& at, int type) {
  const nlattr* a = at.a[type];
  if (a == nullptr) return {};
  const char* s = static_cast<const char*>(mnl_attr_get_payload(a));
  const auto len = mnl_attr_get_payload_len(a);
  return {s, strnlen(s, len)};
}

std::uint32_t u32_attr(const Attrs& at, int type) {
  const nlattr* a = at.a[type];
  if (a == nullptr || mnl_attr_get_payload_len(a) < sizeof(std::uint32_t)) return 0;
  return ntohl(mnl_attr_get_u32(a));
}

// A rule added to an ip/ip6 iptables-nft table, read as iptables-nft would
// read it back (the audit's classifier, on the notification in place).
ForeignAdded classify_added(const nlmsghdr* nlh, std::uint8_t family, const Change& c) {
  if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6) return {};
  if (!is_xtables_nft_table(c.family, c.table)) return {};
  auto r = classify_rule_msg(nlh, family);
  if (r.verdict.outcome == Readback::ok) return {};
  return {std::move(r.verdict), 1};
}

struct Parsed {
  bool is_gen = false;
  Change change;
  ForeignAdded foreign;
};

// nullopt: a message the monitor does not follow (sets, objects, flowtables).
std::optional<Parsed> parse(const nlmsghdr* nlh) {
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) return std::nullopt;
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return std::nullopt;
  const int msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
  const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs at;
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), keep_attr, &at) < 0) return std::nullopt;
  Parsed p;
  p.change.family = nft::family_name(gen->nfgen_family);
  switch (msg) {
    case NFT_MSG_NEWGEN:
      p.is_gen = true;
      return p;
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE:
      p.change.table = str_attr(at, NFTA_TABLE_NAME);
      p.change.op = msg == NFT_MSG_NEWTABLE ? Operation::add_table : Operation::delete_table;
      return p;
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
      p.change.table = str_attr(at, NFTA_CHAIN_TABLE);
      p.change.chain = str_attr(at, NFTA_CHAIN_NAME);
      p.change.op = msg == NFT_MSG_NEWCHAIN ? Operation::add_chain : Operation::delete_chain;
      return p;
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE:
      p.change.table = str_attr(at, NFTA_RULE_TABLE);
      p.change.chain = str_attr(at, NFTA_RULE_CHAIN);
      p.change.op = msg == NFT_MSG_NEWRULE ? Operation::add_rule : Operation::delete_rule;
      (msg == NFT_MSG_NEWRULE ? p.change.added : p.change.deleted) = 1;
      if (msg == NFT_MSG_NEWRULE) p.foreign = classify_added(nlh, gen->nfgen_family, p.change);
      return p;
    default:
      return std::nullopt;
  }
}

}  // namespace

void MnlCloser::operator()(mnl_socket* s) const {
  mnl_socket_close(s);
}

void TransactionBuilder::on_message(const nlmsghdr* nlh, std::vector<NftTransaction>& done,
                                    const std::function<void(std::uint32_t)>& first) {
  if (!open_) {
    open_ = true;
    if (first && nlh->nlmsg_pid != 0) first(nlh->nlmsg_pid);
  }
  auto p = parse(nlh);
  if (!p) return;
  if (p->is_gen) {
    Attrs at;
    (void)mnl_attr_parse(nlh, sizeof(nfgenmsg), keep_attr, &at);
    pending_.generation = u32_attr(at, NFTA_GEN_ID);
    pending_.pid = static_cast<pid_t>(u32_attr(at, NFTA_GEN_PROC_PID));
    pending_.comm = str_attr(at, NFTA_GEN_PROC_NAME);
    done.push_back(std::move(pending_));
    reset();
    return;
  }
  Change& c = p->change;
  auto key = std::tuple{c.family, c.table, c.chain, static_cast<int>(c.op)};
  if (auto it = index_.find(key); it != index_.end()) {
    pending_.changes[it->second].added += c.added;
    pending_.changes[it->second].deleted += c.deleted;
    ForeignAdded& had = pending_.foreign[it->second];
    had.rules += p->foreign.rules;
    if (p->foreign.worst && (!had.worst || p->foreign.worst->outcome > had.worst->outcome))
      had.worst = std::move(p->foreign.worst);
  } else if (pending_.changes.size() < kMaxChangesPerTransaction) {
    index_.emplace(std::move(key), pending_.changes.size());
    pending_.changes.push_back(std::move(c));
    pending_.foreign.push_back(std::move(p->foreign));
  } else {
    ++pending_.more;
  }
}

void TransactionBuilder::reset() {
  pending_ = {};
  index_.clear();
  open_ = false;
}

Result<NftEvents> NftEvents::open(int rcvbuf) {
  NftEvents ev;
  ev.nl_.reset(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!ev.nl_) return errno_fail("nf_tables notifications: netlink socket");
  if (mnl_socket_bind(ev.nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return errno_fail("nf_tables notifications: bind");
  if (rcvbuf > 0) {
    const int fd = mnl_socket_get_fd(ev.nl_.get());
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
      return errno_fail("nf_tables notifications: SO_RCVBUF");
  }
  int group = NFNLGRP_NFTABLES;
  if (mnl_socket_setsockopt(ev.nl_.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    const int e = errno;
    return fail(std::string("cannot subscribe to nf_tables notifications (NFNLGRP_NFTABLES): ") +
                    std::strerror(e) +
                    (e == EPERM ? " (joining it needs CAP_NET_ADMIN: run as root)" : ""),
                e);
  }
  ev.buf_.resize(kRecvBuffer);
  return ev;
}

int NftEvents::fd() const {
  return mnl_socket_get_fd(nl_.get());
}

namespace {

bool holds_newgen(const char* buf, int len) {
  for (auto* nlh = static_cast<const nlmsghdr*>(static_cast<const void*>(buf));
       mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
    if (NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
        NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN)
      return true;
  return false;
}

}  // namespace

Result<Drained> NftEvents::drain(const std::function<void(std::uint32_t)>& first,
                                 int max_datagrams) {
  Drained out;
  // While discarding, everything queued is dropped unread: the re-read that
  // follows covers it, and a half transaction must not be folded twice.
  for (int i = 0; discarding_ || i < max_datagrams; ++i) {
    const ssize_t n = ::recv(fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (discarding_ && gen_seen_) {
          settle();
          out.settled = true;
        }
        break;
      }
      if (errno == ENOBUFS) {
        builder_.reset();
        discarding_ = true;
        gen_seen_ = false;
        continue;
      }
      return errno_fail("nf_tables notifications: recv");
    }
    if (discarding_) {
      if (holds_newgen(buf_.data(), static_cast<int>(n))) gen_seen_ = true;
      continue;
    }
    int len = static_cast<int>(n);
    for (auto* nlh = static_cast<const nlmsghdr*>(static_cast<void*>(buf_.data()));
         mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
      builder_.on_message(nlh, out.done, first);
  }
  out.discarding = discarding_;
  return out;
}

}  // namespace iptmode::monitor
