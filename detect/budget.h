// A bound on the work a scan may do: path steps counted by the lookups in
// detect/in_root.h and a deadline on CLOCK_MONOTONIC. Each lookup is bounded
// on its own (kMaxSteps); a budget bounds their sum, so that a process that
// anyone can start (a PATH of 64 entries into a symlink maze) cannot make a
// scan of many components, or many mount namespaces, take minutes. A budget
// may have a parent: spending on it spends on the parent too, and it is
// exhausted when either is.
#pragma once

#include <cerrno>
#include <chrono>
#include <string>

namespace iptmode {

// The errnum of a lookup that stopped because its budget ran out.
inline constexpr int kBudgetErrno = ETIME;

class Budget {
 public:
  Budget(std::chrono::milliseconds time, long steps, Budget* parent = nullptr);

  // Counts `n` steps; false once this budget or its parent is exhausted.
  bool spend(long n = 1);
  bool exhausted() const;

  // Why it is exhausted, e.g. "more than 20000 path steps"; "" while it is not.
  std::string why() const;

 private:
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds time_;
  long left_;
  long steps_;
  Budget* parent_;
  bool out_of_time() const;
};

// The defaults for one component and for a whole scan. A normal lookup takes
// tens of steps, one component's well under a thousand.
inline constexpr std::chrono::milliseconds kComponentTime{500};
inline constexpr long kComponentSteps = 20000;
inline constexpr std::chrono::milliseconds kScanTime{5000};
inline constexpr long kScanSteps = 200000;

}  // namespace iptmode
