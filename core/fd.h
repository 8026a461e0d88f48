// An owned file descriptor, closed on scope exit, and the one reader of a
// symlink's text.
#pragma once

#include <unistd.h>

#include <string>
#include <utility>

#include "core/error.h"

namespace iptmode {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// The text of the symlink `path` under `dirfd`, whole: a target longer than
// the buffer is ENAMETOOLONG, never cut.
Result<std::string> read_link_at(int dirfd, const std::string& path);

}  // namespace iptmode
