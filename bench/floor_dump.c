// floor_dump: the floor under what iptmode audit asks the kernel for in
// nf_tables. Only the reads: one chain dump, then one rule dump per chain
// (what count_nft_rules does when it counts everything), every answer
// discarded unparsed. bench/audit_bench.sh prints iptmode's time as a ratio
// to this one's. Prints the number of chains and rule messages it saw.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

struct chain_ref {
  uint32_t family;
  char* table;
  char* name;
};

static struct chain_ref* chains;
static size_t n_chains, cap_chains;
static uint64_t n_rules;
static char buf[64 * 1024];

static int on_chain(const struct nlmsghdr* m, void* data) {
  (void)data;
  struct nftnl_chain* c = nftnl_chain_alloc();
  if (c && nftnl_chain_nlmsg_parse(m, c) >= 0) {
    if (n_chains == cap_chains) {
      cap_chains = cap_chains ? 2 * cap_chains : 1024;
      chains = realloc(chains, cap_chains * sizeof *chains);
      if (!chains) exit(2);
    }
    chains[n_chains].family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
    chains[n_chains].table = strdup(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
    chains[n_chains].name = strdup(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
    ++n_chains;
  }
  nftnl_chain_free(c);
  return MNL_CB_OK;
}

static int on_rule(const struct nlmsghdr* m, void* data) {
  (void)m;
  (void)data;
  ++n_rules;
  return MNL_CB_OK;
}

// Sends the request in `req` and runs `cb` on every answer to the end.
static int run(struct mnl_socket* nl, struct nlmsghdr* req, mnl_cb_t cb) {
  unsigned portid = mnl_socket_get_portid(nl);
  if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) return -1;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) return -1;
    int r = mnl_cb_run(buf, (size_t)n, req->nlmsg_seq, portid, cb, NULL);
    if (r == MNL_CB_STOP) return 0;
    if (r < 0) return errno == ENOENT ? 0 : -1;
  }
}

int main(void) {
  struct mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    perror("floor_dump: netlink");
    return 2;
  }
  uint32_t seq = (uint32_t)time(NULL);
  char req[1024] __attribute__((aligned(4)));
  struct nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(req, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, ++seq);
  if (run(nl, nlh, on_chain) < 0) {
    perror("floor_dump: chain dump");
    return 2;
  }
  for (size_t i = 0; i < n_chains; ++i) {
    struct nftnl_rule* filter = nftnl_rule_alloc();
    if (!filter) return 2;
    nftnl_rule_set_str(filter, NFTNL_RULE_TABLE, chains[i].table);
    nftnl_rule_set_str(filter, NFTNL_RULE_CHAIN, chains[i].name);
    nlh =
        nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, (uint16_t)chains[i].family, NLM_F_DUMP, ++seq);
    nftnl_rule_nlmsg_build_payload(nlh, filter);
    nftnl_rule_free(filter);
    if (run(nl, nlh, on_rule) < 0) {
      perror("floor_dump: rule dump");
      return 2;
    }
  }
  printf("%zu chains, %" PRIu64 " rules\n", n_chains, n_rules);
  mnl_socket_close(nl);
  return 0;
}
