// What the monitor reports: one Event per line of its stream, built from the
// kernel's notifications, the lock's opens and closes, and re-reads. Plain
// data; monitor/render.h turns it into text or JSON lines.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audit/foreign_rules.h"
#include "core/mode.h"

namespace iptmode::monitor {

inline constexpr const char* kMonitorSchema = "iptmode.monitor/v1";

enum class EventKind {
  start,   // the decision and the audit's summary, once
  watch,   // what is being followed (and what could not be)
  write,   // a change in one chain (or table) by one writer
  resync,  // lost notifications: both backends read again
  stop,    // SIGTERM/SIGINT
};
std::string_view to_string(EventKind k);

// "add-table", "delete-table", "add-chain", "delete-chain", "add-rule",
// "delete-rule", "change-rules" (a legacy re-read: rules added and deleted).
enum class Operation {
  add_table,
  delete_table,
  add_chain,
  delete_chain,
  add_rule,
  delete_rule,
  change_rules
};
std::string_view to_string(Operation o);

enum class Verdict { ok, wrong_backend, foreign_rule };
std::string_view to_string(Verdict v);  // "ok", "wrong-backend", "foreign-rule"

// How the writer was found: the nf_tables generation's pid, an open of the
// xtables lock, or nobody (a periodic check or a re-read).
enum class Source { netlink, lock, periodic, resync };
std::string_view to_string(Source s);

// Who wrote: resolved from /proc as soon as the pid is known.
struct Writer {
  pid_t pid = 0;  // 0: unattributed
  std::string comm;
  std::string exe;
  std::string component;  // empty: none of the watched components
  std::string via;        // how the component was found: "self", "parent", "mount-ns"
  std::uint64_t mount_ns = 0;
  std::string root;     // /proc/PID/root's link text: the container root
  bool exited = false;  // gone before it could be read
};

struct Event {
  EventKind kind = EventKind::write;
  std::int64_t time_us = 0;  // CLOCK_REALTIME, microseconds
  Mode backend = Mode::nft;
  std::string family;
  std::string table;
  std::string chain;  // empty for table operations
  Operation op = Operation::add_rule;
  std::uint64_t rules_added = 0;
  std::uint64_t rules_deleted = 0;
  bool iptables_table = false;  // a table iptables itself writes (not a native nftables one)
  // Added rules iptables-nft cannot read back (the worst, and how many):
  // what makes the verdict foreign-rule.
  std::optional<ReadbackVerdict> foreign;
  std::uint64_t foreign_rules = 0;
  std::optional<std::uint32_t> generation;
  Source source = Source::netlink;
  Writer writer;
  Verdict verdict = Verdict::ok;
  Mode mode = Mode::nft;  // the decided mode the verdict is against
  std::string text;       // start/watch/resync/stop: what happened, one line
  // resync: the iptables rules each backend holds after the re-read.
  std::optional<std::uint64_t> nft_rules;
  std::optional<std::uint64_t> legacy_rules;
};

std::int64_t now_us();

}  // namespace iptmode::monitor
