/* A stand-in for another iptables version's xtables-<mode>-multi, which cannot
 * be installed beside the real one. Static, so a copy runs from anywhere.
 *
 * Its version is chosen per test without rebuilding: the test copies this
 * binary, finds MARKER in the copy's bytes and writes "<version> (<mode>)\0",
 * e.g. "1.8.10 (nf_tables)", at MARKER + VERSION_AT (see
 * tests/support/shim_env.h). That is the string the detector and the shim scan
 * binaries for. The byte before it is a NUL, so nothing else joins the version.
 *
 * At run time it prints
 *   fake-backend argv0=<basename of argv[0]> version=<version, or "unset">
 *   args:[ <arg>]...                      (each argument as given)
 *   <argv0> v<version>                    (only when an argument is -V)
 *   stdin=<bytes>                         (only when called as *-restore)
 * and exits with $FAKE_EXIT when set, else 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER "@@IPTMODE_FAKE_VERSION@@"
#define VERSION_AT 32
#define VERSION_MAX 64

/* volatile: the compiler may neither fold the (empty) version into the code
 * nor drop the bytes the test patches. */
__attribute__((used)) static volatile const char fake_version[VERSION_AT + VERSION_MAX] = MARKER;

static const char* base_name(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int ends_with(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int main(int argc, char** argv) {
  char version[VERSION_MAX + 1];
  size_t len = 0;
  while (len < VERSION_MAX && fake_version[VERSION_AT + len] != '\0') {
    version[len] = fake_version[VERSION_AT + len];
    ++len;
  }
  version[len] = '\0';
  const char* name = argc > 0 && argv[0] ? base_name(argv[0]) : "";

  printf("fake-backend argv0=%s version=%s\n", name, len ? version : "unset");
  printf("args:");
  for (int i = 1; i < argc; ++i) printf(" %s", argv[i]);
  printf("\n");
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
      printf("%s v%s\n", name, len ? version : "unset");
      break;
    }
  }
  if (ends_with(name, "-restore")) {
    unsigned long total = 0;
    char buf[4096];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      total += (unsigned long)n;
    }
    printf("stdin=%lu\n", total);
  }
  if (fflush(stdout) != 0) return 1;
  const char* code = getenv("FAKE_EXIT");
  return code ? atoi(code) : 0;
}
