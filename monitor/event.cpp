#include "monitor/event.h"

#include <time.h>

namespace iptmode::monitor {

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::start:
      return "start";
    case EventKind::watch:
      return "watch";
    case EventKind::write:
      return "write";
    case EventKind::resync:
      return "resync";
    case EventKind::stop:
      return "stop";
  }
  return "write";
}

std::string_view to_string(Operation o) {
  switch (o) {
    case Operation::add_table:
      return "add-table";
    case Operation::delete_table:
      return "delete-table";
    case Operation::add_chain:
      return "add-chain";
    case Operation::delete_chain:
      return "delete-chain";
    case Operation::add_rule:
      return "add-rule";
    case Operation::delete_rule:
      return "delete-rule";
    case Operation::change_rules:
      return "change-rules";
  }
  return "change-rules";
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::wrong_backend:
      return "wrong-backend";
    case Verdict::foreign_rule:
      return "foreign-rule";
  }
  return "ok";
}

std::string_view to_string(Source s) {
  switch (s) {
    case Source::netlink:
      return "netlink";
    case Source::lock:
      return "lock";
    case Source::periodic:
      return "periodic";
    case Source::resync:
      return "resync";
  }
  return "netlink";
}

std::int64_t now_us() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace iptmode::monitor
