#include "detect/nft_session.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include <fmt/format.h>

namespace iptmode::nft {

std::unexpected<Error> nl_error(std::string_view what, int e) {
  std::string fix;
  if (e == EPERM || e == EACCES) fix = " (nf_tables needs CAP_NET_ADMIN: run as root)";
  return fail(fmt::format("nf_tables {}: {}{}", what, std::strerror(e), fix), e);
}

std::unexpected<Error> too_busy() {
  return fail(fmt::format("nf_tables dump: interrupted {} times in a row (the ruleset is changing "
                          "constantly); try again",
                          kDumpTries),
              EINTR);
}

Session::Session(std::size_t receive_buffer)
    : seq_(static_cast<std::uint32_t>(std::time(nullptr))), buf_(receive_buffer) {}

Session::~Session() {
  if (nl_) mnl_socket_close(nl_);
}

Result<void> Session::open() {
  nl_ = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl_) return nl_error("socket", errno);
  if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return nl_error("bind", errno);
  portid_ = mnl_socket_get_portid(nl_);
  return {};
}

Result<void> Session::exchange(const nlmsghdr* req, const MsgFn& on_msg) {
  static const bool kNever = false;
  auto r = exchange_until(req, on_msg, kNever);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<bool> Session::exchange_until(const nlmsghdr* req, const MsgFn& on_msg, const bool& stop) {
  if (mnl_socket_sendto(nl_, req, req->nlmsg_len) < 0) return nl_error("send", errno);
  auto cb = [](const nlmsghdr* m, void* data) -> int {
    (*static_cast<const MsgFn*>(data))(m);
    return MNL_CB_OK;
  };
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) return nl_error("receive", errno);
    const int r = mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), req->nlmsg_seq, portid_, cb,
                             const_cast<MsgFn*>(&on_msg));
    if (r == MNL_CB_STOP) return true;
    if (r < 0) return nl_error("dump", errno);
    if (stop) return false;
  }
}

Result<void> Session::send_batch(const std::vector<char>& batch, std::uint32_t last_seq) {
  int size = static_cast<int>(batch.size()) + 65536;
  (void)setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  if (mnl_socket_sendto(nl_, batch.data(), batch.size()) < 0) return nl_error("send", errno);
  const int fd = mnl_socket_get_fd(nl_);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  bool acked = false;
  int error = 0;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return nl_error("receive", errno);
    }
    int len = static_cast<int>(n);
    for (const auto* m = reinterpret_cast<const nlmsghdr*>(buf_.data()); mnl_nlmsg_ok(m, len);
         m = mnl_nlmsg_next(m, &len))
      if (m->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
        if (e->error != 0 && error == 0) error = -e->error;
        if (e->error == 0 && m->nlmsg_seq == last_seq) acked = true;
      }
  }
  if (error) return nl_error("batch", error);
  if (!acked) return fail("nf_tables batch: the kernel did not acknowledge it", EPROTO);
  return {};
}

Result<void> dump(std::uint16_t type, const std::function<void()>& reset, const MsgFn& on_msg) {
  for (int attempt = 0; attempt < kDumpTries; ++attempt) {
    reset();
    Session s;
    if (auto r = s.open(); !r) return r;
    alignas(nlmsghdr) char req[256];  // a dump request is a bare header
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, type, NFPROTO_UNSPEC, NLM_F_DUMP, s.next_seq());
    auto r = s.exchange(nlh, on_msg);
    if (r || r.error().errnum != EINTR) return r;
  }
  return too_busy();
}

Result<std::uint32_t> generation(Session& s) {
  alignas(nlmsghdr) char req[256];
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(req, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, s.next_seq());
  std::optional<std::uint32_t> id;
  auto r = s.exchange(nlh, [&](const nlmsghdr* m) {
    std::unique_ptr<nftnl_gen, decltype(&nftnl_gen_free)> g(nftnl_gen_alloc(), nftnl_gen_free);
    if (g && nftnl_gen_nlmsg_parse(m, g.get()) >= 0) id = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
  });
  if (!r) return std::unexpected(r.error());
  if (!id) return fail("nf_tables: no generation in the answer", EPROTO);
  return *id;
}

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

std::uint16_t family_number(std::string_view f) {
  if (f == "ip") return NFPROTO_IPV4;
  if (f == "ip6") return NFPROTO_IPV6;
  if (f == "inet") return NFPROTO_INET;
  if (f == "arp") return NFPROTO_ARP;
  if (f == "bridge") return NFPROTO_BRIDGE;
  if (f == "netdev") return NFPROTO_NETDEV;
  return NFPROTO_UNSPEC;
}

}  // namespace iptmode::nft
