#include "cli/cmd_repair.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "audit/findings.h"
#include "audit/gather.h"
#include "cli/exit_codes.h"
#include "detect/config.h"
#include "detect/report_json.h"
#include "repair/apply_legacy.h"
#include "repair/apply_nft.h"
#include "repair/backup.h"
#include "repair/plan.h"
#include "repair/render.h"
#include "repair/restore.h"
#include "repair/tools.h"

namespace iptmode::cli {
namespace {

using namespace iptmode::repair;

inline constexpr int kExitRefused = 1;
inline constexpr int kExitLeftover = 3;
inline constexpr int kExitBusy = 4;

int could_not_run(const std::string& message) {
  fmt::print(stderr, "iptmode: {}\n", message);
  return kExitError;
}

// The config is read by the detection pipeline (detect/pipeline.h) inside
// gather_audit, as for the audit itself.
Result<AuditOptions> audit_options(const RepairCliOptions& o) {
  AuditOptions a;
  a.detect.mode = o.mode;
  a.detect.config = o.config;
  a.detect.host_root = o.host_root;
  a.bin_dir = o.bin_dir;
  return a;
}

struct Planned {
  AuditEvidence audit;
  Tools tools;
  Plan plan;
  std::uint32_t genid = 0;
};

// The generation first: any nf_tables change after it, even during the
// audit or the save, fails the batch bound to it.
Result<Planned> make(const AuditOptions& ao) {
  Planned p;
  auto gen = nft_generation();
  auto audit = gather_audit(ao);
  if (!audit) return std::unexpected(audit.error());
  p.audit = std::move(*audit);
  const Mode stale = other(p.audit.decision.mode);
  if (stale == Mode::nft) {
    if (!gen && p.audit.ev.kernel.nft.available) return std::unexpected(gen.error());
    p.genid = gen.value_or(0);
  }
  auto tools = find_tools(p.audit);
  if (!tools) return std::unexpected(tools.error());
  p.tools = std::move(*tools);
  std::vector<SavedRuleset> saves;
  const auto& state = stale == Mode::nft ? p.audit.ev.kernel.nft : p.audit.ev.kernel.legacy;
  if (state.available && !state.tables.empty())
    for (const char* family : {"ip", "ip6"}) {
      auto text = run_save(p.tools, stale, family);
      if (!text) return std::unexpected(text.error());
      auto parsed = parse_save(*text, family);
      if (!parsed) return std::unexpected(parsed.error());
      saves.push_back(std::move(*parsed));
    }
  p.plan = make_plan(p.audit, saves);
  return p;
}

void print(const Plan& plan, const Outcome& o, bool json) {
  if (json)
    fmt::print("{}", json_text(repair_json(plan, o)));
  else
    fmt::print("{}", repair_text(plan, o));
}

bool confirm(const std::string& question) {
  fmt::print("{} [y/N] ", question);
  (void)std::fflush(stdout);  // the prompt must show before the read; nothing to do if it fails
  char buf[16] = {};
  if (!std::fgets(buf, sizeof buf, stdin)) return false;
  return buf[0] == 'y' || buf[0] == 'Y';
}

// Test-only (docs/repair.md): opens the FIFO named by
// IPTMODE_TEST_PAUSE_BEFORE_APPLY and reads it to its end, so a test can
// change the ruleset between the plan and the apply without sleeping.
void test_pause() {
  const char* fifo = std::getenv("IPTMODE_TEST_PAUSE_BEFORE_APPLY");
  if (!fifo || !*fifo) return;
  const int fd = ::open(fifo, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[64];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
  ::close(fd);
}

bool stale_k8s_left(const std::vector<Finding>& f) {
  for (const auto& x : f)
    if (x.code == "K8S_CHAINS_IN_BOTH_BACKENDS" || x.code == "HINT_IN_BOTH_BACKENDS") return true;
  return false;
}

int run_restore_cmd(const RepairCliOptions& opts, bool dry_run, const AuditOptions& ao) {
  auto audit = gather_audit(ao);
  if (!audit) return could_not_run(audit.error().message);
  auto tools = find_tools(*audit);
  if (!tools) return could_not_run(tools.error().message);
  const std::string prefix = backup_prefix(opts.restore);
  if (dry_run) {
    fmt::print("dry run: would restore both backends from {}.* (run with --yes)\n", prefix);
    return kExitOk;
  }
  if (!opts.yes && !confirm(fmt::format("restore both backends from {}.*?", prefix)))
    return kExitOk;
  if (auto r = restore_backup(*tools, prefix); !r) return could_not_run(r.error().message);
  fmt::print("restored both backends from {}.*\n", prefix);
  return kExitOk;
}

}  // namespace

int run_repair(const RepairCliOptions& opts) {
  // A restore that dies mid-input is an error from its exit status, not our death.
  (void)std::signal(SIGPIPE, SIG_IGN);
  if (::geteuid() != 0)
    return could_not_run(
        "repair changes the kernel's packet filter and needs root: run it "
        "with sudo");
  auto ao = audit_options(opts);
  if (!ao) return could_not_run(ao.error().message);
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  const bool dry_run = opts.dry_run || (!opts.yes && !tty);
  if (!opts.restore.empty()) return run_restore_cmd(opts, dry_run, *ao);

  Outcome o;
  o.dry_run = dry_run;
  const std::string dir = opts.backup_dir.empty() ? kDefaultBackupDir : opts.backup_dir;
  Planned p;
  for (int attempt = 0;; ++attempt) {
    auto made = make(*ao);
    if (!made) return could_not_run(made.error().message);
    p = std::move(*made);
    if (!p.plan.refusals.empty()) {
      print(p.plan, o, opts.json);
      if (!opts.json)
        for (const auto& r : p.plan.refusals) fmt::print(stderr, "iptmode: refused: {}\n", r);
      return kExitRefused;
    }
    if (p.plan.empty() || dry_run) {
      print(p.plan, o, opts.json);
      return kExitOk;
    }
    if (attempt == 0 && !opts.yes && !opts.json) {
      fmt::print("{}", repair_text(p.plan, o));
      if (!confirm("apply this plan?")) return kExitOk;
    }
    o.dry_run = false;
    auto backup = write_backup(p.tools, dir, repair_json(p.plan, o).dump(2));
    if (!backup) return could_not_run("backup: " + backup.error().message + "; nothing changed");
    o.backup = *backup;
    if (attempt == 0) test_pause();
    auto applied = p.plan.stale == Mode::nft ? apply_nft(p.plan, p.genid) : apply_legacy(p.plan);
    if (!applied) {
      o.note = applied.error().message;
      print(p.plan, o, opts.json);
      return kExitError;
    }
    if (*applied == Applied::yes) break;
    if (attempt == 1) {
      o.note =
          "the ruleset changed between plan and apply twice: nothing applied; run repair again";
      print(p.plan, o, opts.json);
      return kExitBusy;
    }
    ++o.replans;
  }
  o.applied = true;
  auto after = gather_audit(*ao);
  if (!after) return could_not_run("re-audit: " + after.error().message);
  o.after = find_problems(*after);
  print(p.plan, o, opts.json);
  return stale_k8s_left(*o.after) ? kExitLeftover : kExitOk;
}

}  // namespace iptmode::cli
