#include "cli/cmd_audit.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "audit/cidr.h"
#include "audit/findings.h"
#include "audit/gather.h"
#include "audit/report.h"
#include "audit/textfile.h"
#include "cli/exit_codes.h"

namespace iptmode::cli {
namespace {

RunMetrics run_metrics(bool ok, double seconds) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return {ok, seconds, std::chrono::duration<double>(now).count(), IPTMODE_VERSION};
}

// NPD's custom plugin contract: 0 OK, 1 NonOK, 2 Unknown, one line of output.
// The textfile says the run failed (iptmode_last_run_success 0, with its
// time), so an alert fires on a failing audit, not only on a stale one.
int could_not_run(const AuditCliOptions& opts, const std::string& message, double seconds) {
  if (!opts.prometheus.empty())
    (void)write_textfile(opts.prometheus, audit_metrics(nullptr, {}, run_metrics(false, seconds)));
  if (opts.npd) fmt::print("{}", npd_could_not_run(message));
  fmt::print(stderr, "iptmode: {}\n", message);
  return kExitError;
}

std::optional<Role> parse_role(std::string_view r) {
  if (r.empty()) return Role::none;
  if (r == "controller") return Role::controller;
  if (r == "worker") return Role::worker;
  if (r == "controller+worker") return Role::controller_worker;
  return std::nullopt;
}

// The CPUs this process may run on (a container's cpuset, taskset), not
// the machine's: more readers than that would only take turns.
unsigned default_jobs() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return std::clamp<unsigned>(n > 0 ? static_cast<unsigned>(n) : 1U, 1U, kDefaultJobsMax);
}

}  // namespace

int run_audit(const AuditCliOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  if (::geteuid() != 0)
    return could_not_run(
        opts,
        "audit reads the kernel's packet filter tables and /proc and needs root: run it with sudo",
        elapsed());
  const auto fail_on = parse_severity(opts.fail_on);
  const auto role = parse_role(opts.role);
  if (!fail_on || !role)
    return could_not_run(opts, "bad --fail-on or --role (see iptmode audit --help)", elapsed());
  for (const auto& [flag, value] :
       {std::pair{"--pod-cidr", &opts.pod_cidr}, std::pair{"--service-cidr", &opts.service_cidr}})
    if (!value->empty())
      if (auto c = check_cidr(*value); !c)
        return could_not_run(opts, fmt::format("{} {}", flag, c.error().message), elapsed());

  AuditOptions a;
  a.detect.mode = opts.mode;
  a.detect.config = opts.config;
  a.detect.host_root = opts.host_root;
  a.bin_dir = opts.bin_dir;
  a.role = *role;
  a.pod_cidr = opts.pod_cidr;
  a.service_cidr = opts.service_cidr;
  a.exec_probe = opts.exec_probe;
  a.jobs = opts.jobs ? opts.jobs : default_jobs();

  auto ev = gather_audit(a);
  if (!ev) return could_not_run(opts, ev.error().message, elapsed());
  const auto findings = find_problems(*ev);
  const bool bad = reaches(findings, *fail_on);

  if (!opts.prometheus.empty())
    if (auto w = write_textfile(opts.prometheus,
                                audit_metrics(&*ev, findings, run_metrics(true, elapsed())));
        !w)
      return could_not_run(opts, w.error().message, elapsed());

  if (opts.npd) {
    fmt::print("{}", npd_line(*ev, findings, *fail_on));
  } else if (opts.json) {
    fmt::print("{}", audit_json(*ev, findings));
  } else {
    // Colour only for a person at a terminal that has it (TERM=dumb has
    // none), and never against NO_COLOR.
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    ReportStyle style{::isatty(STDOUT_FILENO) == 1 && !(no_color && *no_color) &&
                      !(term && std::string_view(term) == "dumb")};
    fmt::print("{}", audit_text(*ev, findings, style));
  }
  return bad ? kExitFindings : kExitOk;
}

}  // namespace iptmode::cli
