// Running the first-call detector, `<detector> detect --print-state`, with a
// hard deadline. The caller's signal state cannot stretch it: the child gets
// default dispositions and an empty mask, the parent waits on a pidfd and
// its pipe with poll (no SIGALRM), and at the deadline the child's whole
// process group is killed. A child that exits while something it started
// keeps the pipe open is not waited for. Allocates nothing.
#pragma once

#include <cstddef>

namespace iptmode::shim {

struct DetectorRun {
  enum Kind { ok, exited, signaled, timed_out, too_much, no_child } kind = no_child;
  int code = 0;         // exit status (exited), signal (signaled), errno (no_child)
  std::size_t len = 0;  // bytes of stdout in the buffer (ok)
};

// Runs the already-checked `detector_fd` (execveat, so the file checked is
// the file run) with stdout into `buf`; its stderr stays the caller's, its
// stdin is /dev/null.
DetectorRun run_detector(int detector_fd, int timeout_s, char* buf, std::size_t cap);

// "timed out after 30 s", "exited with 3", ... for the refusal.
void describe(const DetectorRun& r, int timeout_s, char* out, std::size_t cap);

}  // namespace iptmode::shim
