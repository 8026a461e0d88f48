// xtables_floor: the floor under what iptmode asks the kernel for in
// x_tables. For each table listed in /proc/net/ip_tables_names and
// ip6_tables_names, one IPT_SO_GET_INFO and one IPT_SO_GET_ENTRIES (the
// kernel hands a table out only whole) into a buffer of its size, discarded
// unread. bench/detect_bench.sh prints iptmode's time as a ratio to this
// one's. Prints the tables read and the bytes of the largest copy: that copy
// is also the floor of the reader's memory.
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter_ipv4/ip_tables.h>

static size_t largest, tables;

// One table: returns 0, or 1 with a message.
static int read_table(int v6, const char* name) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) return perror("socket"), 1;
  int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  struct ipt_getinfo info; /* the same layout as ip6t_getinfo */
  memset(&info, 0, sizeof info);
  memcpy(info.name, name, strlen(name)); /* shorter than XT_TABLE_MAXNAMELEN */
  socklen_t len = sizeof info;
  /* IP6T_SO_GET_INFO and _GET_ENTRIES have IPT_'s numbers; the level differs. */
  if (getsockopt(fd, level, IPT_SO_GET_INFO, &info, &len) != 0) return perror(name), close(fd), 1;
  size_t bytes = sizeof(struct ipt_get_entries) + info.size;
  struct ipt_get_entries* e =
      mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (e == MAP_FAILED) return perror("mmap"), close(fd), 1;
  memcpy(e->name, name, strlen(name));
  e->size = info.size;
  len = (socklen_t)bytes;
  int rc = getsockopt(fd, level, IPT_SO_GET_ENTRIES, e, &len);
  if (rc != 0) perror(name);
  munmap(e, bytes);
  close(fd);
  if (info.size > largest) largest = info.size;
  ++tables;
  return rc != 0;
}

static int read_listed(int v6) {
  FILE* f = fopen(v6 ? "/proc/net/ip6_tables_names" : "/proc/net/ip_tables_names", "r");
  if (!f) return errno == ENOENT ? 0 : (perror("tables list"), 1);
  char name[64];
  int bad = 0;
  while (fgets(name, sizeof name, f)) {
    name[strcspn(name, "\n")] = '\0';
    if (name[0] != '\0' && strlen(name) < XT_TABLE_MAXNAMELEN) bad |= read_table(v6, name);
  }
  (void)fclose(f);
  return bad;
}

int main(void) {
  int bad = read_listed(0) | read_listed(1);
  printf("%zu tables, largest copy %zu bytes\n", tables, largest);
  return bad ? 1 : 0;
}
