// One netlink conversation with nf_tables (libmnl + libnftnl), shared by the
// reader (detect/nft_reader) and the writer (repair/apply_nft): a socket with
// its port id and sequence numbers, request/answer exchanges, dumps that are
// asked again when the kernel marks them interrupted, the ruleset generation,
// and one batch sent whole.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

struct mnl_socket;

namespace iptmode::nft {

using MsgFn = std::function<void(const nlmsghdr*)>;

// A dump the kernel had to restart (a ruleset change mid-dump) is asked for
// again; past this many tries, the ruleset is changing too fast to read.
inline constexpr int kDumpTries = 16;

// One netlink socket for a sequence of requests. An interrupted dump leaves
// answers queued on the socket, so the session is opened afresh after one.
class Session {
 public:
  explicit Session(std::size_t receive_buffer = 64 * 1024);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<void> open();
  std::uint32_t next_seq() { return ++seq_; }

  // Sends `req` (built with seq = next_seq()) and hands each answer to
  // `on_msg` until the dump's end or the ack. An interrupted dump
  // (NLM_F_DUMP_INTR, reported by libmnl as EINTR) is an error with errnum
  // EINTR, for the caller to start again.
  Result<void> exchange(const nlmsghdr* req, const MsgFn& on_msg);

  // The same, but gives up after the first batch of answers that leaves
  // `stop` true: false then (the rest of the dump is left unread, so the
  // session is spent), true when the dump ended.
  Result<bool> exchange_until(const nlmsghdr* req, const MsgFn& on_msg, const bool& stop);

  // Sends a whole batch (BATCH_BEGIN .. BATCH_END). The kernel runs it inside
  // sendmsg, so every answer is queued when it returns: they are read without
  // waiting. Only the message `last_seq` asks for an ack; any error, from any
  // message, means the batch was not committed (its errno is the error's).
  Result<void> send_batch(const std::vector<char>& batch, std::uint32_t last_seq);

 private:
  mnl_socket* nl_ = nullptr;
  unsigned portid_ = 0;
  std::uint32_t seq_;
  std::vector<char> buf_;
};

// "nf_tables <what>: <strerror>", with the fix when it is a permission error.
std::unexpected<Error> nl_error(std::string_view what, int e);

// The error after kDumpTries interrupted dumps (errnum EINTR).
std::unexpected<Error> too_busy();

// One NLM_F_DUMP request of `type` over all families, each try on a fresh
// session. `reset` runs before every try so an interrupted dump leaves no
// partial data.
Result<void> dump(std::uint16_t type, const std::function<void()>& reset, const MsgFn& on_msg);

// The ruleset's generation (NFT_MSG_GETGEN): it changes with every committed
// transaction.
Result<std::uint32_t> generation(Session& s);

// "ip", "ip6", "inet", "arp", "bridge", "netdev" <-> NFPROTO_*;
// family_number is NFPROTO_UNSPEC for a name it does not know.
std::string family_name(std::uint32_t family);
std::uint16_t family_number(std::string_view family);

}  // namespace iptmode::nft
