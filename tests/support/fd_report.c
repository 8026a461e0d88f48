/* An `iptables -V` for --exec-probe tests that says what it was handed:
 * "iptables v1.8.9 (nf_tables) stdin=<what fd 0 is> fds=<open fds above 2>".
 * Static, so it runs in a bare root. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void) {
  struct stat st;
  const char* in = "closed";
  if (fstat(0, &st) == 0)
    in = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) ? "/dev/null"
         : S_ISFIFO(st.st_mode)                             ? "a-pipe"
                                                            : "other";
  /* No /proc in a bare root: ask each descriptor. */
  char fds[512] = "";
  for (int fd = 3; fd < 1024; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) continue;
    size_t n = strlen(fds);
    snprintf(fds + n, sizeof fds - n, "%s%d", n ? "," : "", fd);
  }
  printf("iptables v1.8.9 (nf_tables) stdin=%s fds=%s\n", in, fds[0] ? fds : "none");
  return 0;
}
