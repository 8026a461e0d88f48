// The plan applied to x_tables through libiptc: one iptc_commit per table
// (the kernel swaps a table whole), all taken under /run/xtables.lock, which
// every `iptables -w` (kube-proxy, kubelet) also takes, so no writer's
// change is lost between our read of a table and our commit of it.
#pragma once

#include "core/error.h"
#include "repair/apply_nft.h"
#include "repair/plan.h"

namespace iptmode::repair {

// Holds /run/xtables.lock while alive.
class XtablesLock {
 public:
  XtablesLock() = default;
  XtablesLock(XtablesLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  XtablesLock(const XtablesLock&) = delete;
  XtablesLock& operator=(const XtablesLock&) = delete;
  XtablesLock& operator=(XtablesLock&&) = delete;
  ~XtablesLock();

 private:
  friend Result<XtablesLock> take_xtables_lock();
  int fd_ = -1;
};

// Waits for the lock as `iptables -w` does, at most a minute.
Result<XtablesLock> take_xtables_lock();

// Under the lock: every table is read and checked against the plan (the
// planned jumps at their positions, the chains present) before any commit;
// a table that moved on since the save is Applied::changed, nothing done.
Result<Applied> apply_legacy(const Plan& p);

}  // namespace iptmode::repair
