// Keeps the packaged iptmode's glibc symbol floor at RHEL 9's 2.34
// (docs/packaging.md). g++ 12's static libstdc++ (std::random_device, which
// iptmode never calls) references arc4random, new in glibc 2.36; this
// definition, from getrandom(2) (glibc 2.25), takes its place at link time.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

uint32_t arc4random(void) {
  uint32_t v;
  // getrandom of 4 bytes from the urandom pool returns them all or fails;
  // a failure other than EINTR means no entropy source: arc4random may not fail.
  for (;;) {
    ssize_t n = getrandom(&v, sizeof v, 0);
    if (n == (ssize_t)sizeof v) return v;
    if (n < 0 && errno != EINTR) abort();
  }
}

#ifdef IPTMODE_GLIBC_BEFORE_2_32
// Linked against an older glibc (IPTMODE_GLIBC_SYSROOT), which lacks this
// flag that g++ 12's libstdc++ reads to skip atomics in a single-threaded
// process: 0 says "maybe threaded", so the atomics are always used. The
// reserved name is glibc's own, which this definition must match.
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
char __libc_single_threaded = 0;
#endif
