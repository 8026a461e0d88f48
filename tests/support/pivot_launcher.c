/* Starts a process the way a container runtime roots it: in a mount
 * namespace of its own whose root is ROOT, by pivot_root (with chroot alone,
 * `nsenter -t PID -m iptables -V` would run the host's binary). With -r the
 * root is mounted read-only, as many images run.
 *
 *   pivot_launcher [-r] ROOT PROG ARGV0 [ARGS...]
 *
 * Prints "ready <pid>" on stdout once inside the root, then execs PROG
 * (a path inside ROOT) with ARGV0 as its argv[0]. Static: it runs anywhere. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static int die(const char* what) {
  fprintf(stderr, "pivot_launcher: %s: %s\n", what, strerror(errno));
  return 111;
}

int main(int argc, char** argv) {
  int ro = argc > 1 && strcmp(argv[1], "-r") == 0;
  char** a = argv + 1 + ro;
  if (argc - 1 - ro < 3) {
    fprintf(stderr, "usage: pivot_launcher [-r] ROOT PROG ARGV0 [ARGS...]\n");
    return 2;
  }
  const char* root = a[0];
  if (unshare(CLONE_NEWNS) != 0) return die("unshare(CLONE_NEWNS)");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return die("make-rprivate /");
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) return die("bind ROOT");
  if (chdir(root) != 0) return die("chdir ROOT");
  /* The wrapper scripts read /proc (k3s-root's reads /proc/1/cgroup). */
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    return die("mount proc");
  if (ro && mount(NULL, ".", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
    return die("remount ROOT read-only");
  if (syscall(SYS_pivot_root, ".", ".") != 0) return die("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) return die("detach the old root");
  if (chdir("/") != 0) return die("chdir /");
  if (printf("ready %ld\n", (long)getpid()) < 0 || fflush(stdout) != 0) return 1;
  execv(a[1], a + 2);
  return die(a[1]);
}
