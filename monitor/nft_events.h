// nf_tables' own notifications: a netlink socket subscribed to the
// NFNLGRP_NFTABLES multicast group of the network namespace it is opened in.
// Every transaction's table, chain and rule messages are folded into one
// NftTransaction, closed by the NEWGEN message that carries the writer's pid
// and comm. Read-only: the socket never sends a request.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "audit/foreign_rules.h"
#include "core/error.h"
#include "monitor/table_state.h"

struct nlmsghdr;
struct mnl_socket;

namespace iptmode::monitor {

// Distinct (table, chain, operation) entries kept per transaction; the rest
// are only counted (NftTransaction::more), so a 100,000-rule restore costs
// the same memory as a small one.
inline constexpr std::size_t kMaxChangesPerTransaction = 4096;

// Rules added to an iptables-nft table that iptables-nft would not read back
// as the kernel holds them (audit/foreign_rules.h): the worst of them (the
// first among equals) and how many.
struct ForeignAdded {
  std::optional<ReadbackVerdict> worst;
  std::uint64_t rules = 0;
};

struct NftTransaction {
  std::uint32_t generation = 0;
  pid_t pid = 0;
  std::string comm;             // NEWGEN's process name (the kernel's comm)
  std::vector<Change> changes;  // in the order first seen; rules tallied per chain
  // One for each of `changes`, same index: its added rules that iptables-nft
  // cannot read back (only ip/ip6 iptables-nft tables are looked at).
  std::vector<ForeignAdded> foreign;
  std::uint64_t more = 0;  // messages past kMaxChangesPerTransaction entries
};

// Folds messages into transactions. Pure: tests feed it messages built with
// libnftnl.
class TransactionBuilder {
 public:
  // `first` is called with the sender's netlink port id on the first message
  // of a transaction: it usually is the writer's pid, so the caller can read
  // /proc before the writer exits. A finished transaction is appended to `done`.
  void on_message(const nlmsghdr* nlh, std::vector<NftTransaction>& done,
                  const std::function<void(std::uint32_t)>& first);
  // Lost messages: the transaction under way cannot be trusted.
  void reset();

 private:
  NftTransaction pending_;
  bool open_ = false;
  std::map<std::tuple<std::string, std::string, std::string, int>, std::size_t> index_;
};

// After ENOBUFS the socket discards what is queued and what follows until
// the burst is over: the transaction's NEWGEN is read and the queue is
// empty (`settled`), or the caller, after a quiet spell, calls settle().
// Then one re-read covers the whole burst.
struct Drained {
  std::vector<NftTransaction> done;
  bool discarding = false;  // notifications were lost: a re-read is due
  bool settled = false;     // the burst that lost them is over: re-read now
};

struct MnlCloser {
  void operator()(mnl_socket* s) const;
};

class NftEvents {
 public:
  // `rcvbuf` bytes of socket buffer (SO_RCVBUFFORCE, else SO_RCVBUF); 0 keeps
  // the default. Fails without CAP_NET_ADMIN (joining the group needs it).
  static Result<NftEvents> open(int rcvbuf);

  int fd() const;
  // Reads what is queued, at most `max_datagrams`, without blocking.
  Result<Drained> drain(const std::function<void(std::uint32_t)>& first, int max_datagrams = 256);
  // Ends discarding without a NEWGEN (it was lost too).
  void settle() { discarding_ = gen_seen_ = false; }

 private:
  bool discarding_ = false;
  bool gen_seen_ = false;
  std::unique_ptr<mnl_socket, MnlCloser> nl_;
  TransactionBuilder builder_;
  std::vector<char> buf_;
};

}  // namespace iptmode::monitor
