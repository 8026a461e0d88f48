#include "detect/budget.h"

#include <fmt/format.h>

namespace iptmode {

Budget::Budget(std::chrono::milliseconds time, long steps, Budget* parent)
    : deadline_(std::chrono::steady_clock::now() + time),
      time_(time),
      left_(steps),
      steps_(steps),
      parent_(parent) {}

bool Budget::spend(long n) {
  left_ -= n;
  const bool parent_ok = parent_ == nullptr || parent_->spend(n);
  return parent_ok && !exhausted();
}

bool Budget::out_of_time() const {
  // steady_clock is CLOCK_MONOTONIC through the vDSO: cheap enough per step.
  return std::chrono::steady_clock::now() >= deadline_;
}

bool Budget::exhausted() const {
  return left_ < 0 || out_of_time() || (parent_ != nullptr && parent_->exhausted());
}

std::string Budget::why() const {
  if (left_ < 0) return fmt::format("more than {} path steps", steps_);
  if (parent_ != nullptr && parent_->exhausted())
    return fmt::format("the whole scan's budget ran out: {}", parent_->why());
  if (out_of_time()) return fmt::format("took more than {} ms", time_.count());
  return "";
}

}  // namespace iptmode
