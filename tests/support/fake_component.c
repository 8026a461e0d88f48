/* A stand-in for a component's process (kube-proxy, kubelet ...): its name
 * is whatever it is installed as. Says "ready <pid>" on stdout, then waits for
 * stdin to close and exits 0. Static, so it runs in a bare root. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  if (printf("ready %ld\n", (long)getpid()) < 0 || fflush(stdout) != 0) return 1;
  char buf[256];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0 && errno != EINTR) return 1;
  }
}
