// iptmode: one iptables backend for every writer of a node's packet filter.
#include <fmt/format.h>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/cmd_audit.h"
#include "cli/cmd_detect.h"
#include "cli/cmd_help.h"
#include "cli/cmd_monitor.h"
#include "cli/cmd_repair.h"
#include "cli/cmd_shim.h"
#include "cli/exit_codes.h"

namespace {

int run(int argc, char** argv) {
  using namespace iptmode::cli;
  CLI::App app{"iptmode: keeps every writer of a node's packet filter on one iptables backend"};
  app.name("iptmode");
  app.set_version_flag("--version", std::string(IPTMODE_VERSION));
  app.require_subcommand(1);

  DetectOptions detect;
  auto* det = app.add_subcommand("detect",
                                 "Decide the node's iptables mode from the evidence, with reasons");
  det->add_flag("--json", detect.json, "Print one JSON object (schema iptmode.detect/v1)");
  det->add_option("--mode", detect.mode, "Override the decision")
      ->check(CLI::IsMember({"auto", "nft", "legacy"}));
  det->add_option("--config", detect.config, "Config file (default /etc/iptmode/iptmode.conf)");
  det->add_option("--host-root", detect.host_root,
                  "Read host files (binaries, config) under this directory")
      ->check(CLI::ExistingDirectory);
  det->add_flag("--write", detect.write,
                "Record the decision for the shim in <bin-dir>/iptmode-shim.state");
  det->add_option("--bin-dir", detect.bin_dir,
                  "The shim's directory (default " + std::string(iptmode::kDefaultBinDir) + ")");
  auto* print_state =
      det->add_flag("--print-state", detect.print_state,
                    "Print the state the shim records, nothing else (the shim's first call)");
  print_state->excludes(det->get_option("--json"))->excludes(det->get_option("--write"));
  det->add_option("--scan-budget", detect.scan_budget,
                  "Seconds the component scan may take in all (default 5, with --print-state 2)")
      ->check(CLI::Range(0.001, 600.0));

  AuditCliOptions audit;
  auto* aud = app.add_subcommand(
      "audit", "Report every writer's backend and version, with findings and remedies");
  aud->add_flag("--json", audit.json, "Print one JSON object (schema iptmode.audit/v1)");
  aud->add_flag("--npd", audit.npd,
                "Print the one line node-problem-detector's custom plugin shows");
  aud->add_option("--prometheus", audit.prometheus,
                  "Write node_exporter textfile metrics to FILE (atomically)");
  aud->add_option("--fail-on", audit.fail_on,
                  "Exit 1 when a finding is at least this severe (default warning)")
      ->check(CLI::IsMember({"error", "warning", "info"}));
  aud->add_option("--mode", audit.mode, "Override the decision")
      ->check(CLI::IsMember({"auto", "nft", "legacy"}));
  aud->add_option("--config", audit.config, "Config file (default /etc/iptmode/iptmode.conf)");
  aud->add_option("--host-root", audit.host_root,
                  "Read host files (/etc, /usr/sbin, the bin dir) under this directory")
      ->check(CLI::ExistingDirectory);
  aud->add_option("--bin-dir", audit.bin_dir,
                  "The k0s bin dir (default " + std::string(iptmode::kDefaultBinDir) +
                      " if it exists, else k3s's <data-dir>/data/current/bin if that does)");
  aud->add_option("--role", audit.role, "Check firewalld for this k0s role")
      ->check(CLI::IsMember({"controller", "worker", "controller+worker"}));
  aud->add_option("--pod-cidr", audit.pod_cidr,
                  "Pod CIDR (default: from /etc/k0s/k0s.yaml, else 10.244.0.0/16)");
  aud->add_option("--service-cidr", audit.service_cidr,
                  "Service CIDR (default: from /etc/k0s/k0s.yaml, else 10.96.0.0/12)");
  aud->add_flag(
      "--exec-probe", audit.exec_probe,
      "Also run each component's own iptables -V in its mount namespace (runs container code)");
  aud->add_option("--jobs", audit.jobs,
                  "nf_tables chains read at once (default: the CPUs it may run on, at most 4)")
      ->check(CLI::Range(1u, 64u));
  aud->get_option("--json")->excludes(aud->get_option("--npd"));

  RepairCliOptions repair;
  auto* rep = app.add_subcommand(
      "repair", "Delete the stale backend's Kubernetes chains, atomically, after a backup");
  rep->add_flag("--dry-run", repair.dry_run,
                "Print the plan, change nothing (the default without --yes off a terminal)");
  rep->add_flag("--yes", repair.yes, "Apply without asking");
  rep->add_flag("--json", repair.json, "Print one JSON object (schema iptmode.repair/v1)");
  rep->add_option("--backup-dir", repair.backup_dir,
                  "Where backups go (default /var/lib/iptmode/backups)");
  rep->add_option("--restore", repair.restore,
                  "Put a backup back exactly (its path prefix, or any of its files)");
  rep->add_option("--mode", repair.mode, "Override the decision (the kept backend)")
      ->check(CLI::IsMember({"auto", "nft", "legacy"}));
  rep->add_option("--config", repair.config, "Config file (default /etc/iptmode/iptmode.conf)");
  rep->add_option("--host-root", repair.host_root,
                  "Read host files (/etc, /usr/sbin, the bin dir) under this directory")
      ->check(CLI::ExistingDirectory);
  rep->add_option("--bin-dir", repair.bin_dir,
                  "The k0s bin dir (default " + std::string(iptmode::kDefaultBinDir) + ")");
  rep->get_option("--dry-run")->excludes(rep->get_option("--yes"));

  MonitorCliOptions monitor;
  auto* mon = app.add_subcommand(
      "monitor", "Follow every write to either backend as it happens: writer, component, verdict");
  mon->add_flag("--json", monitor.json, "Print JSON lines (schema iptmode.monitor/v1)");
  mon->add_option(
      "--prometheus", monitor.prometheus,
      "Write node_exporter textfile metrics to FILE (atomically) at each wrong-backend write");
  mon->add_option("--mode", monitor.mode, "Override the decision")
      ->check(CLI::IsMember({"auto", "nft", "legacy"}));
  mon->add_option("--config", monitor.config, "Config file (default /etc/iptmode/iptmode.conf)");
  mon->add_option("--host-root", monitor.host_root,
                  "Read host files (/etc, /usr/sbin, the bin dir) under this directory")
      ->check(CLI::ExistingDirectory);
  mon->add_option("--bin-dir", monitor.bin_dir,
                  "The k0s bin dir (default " + std::string(iptmode::kDefaultBinDir) + ")");
  mon->add_option("--interval", monitor.interval,
                  "Seconds between periodic checks of x_tables (default 10)")
      ->check(CLI::Range(0.1, 86400.0));
  mon->add_option("--netlink-rcvbuf", monitor.netlink_rcvbuf,
                  "Bytes of socket buffer for nf_tables notifications (default 64 MiB)")
      ->check(CLI::Range(4096, 1 << 30));

  ShimOptions shim;
  auto* sh = app.add_subcommand("shim", "Install, uninstall or keep in place the iptables shim");
  sh->require_subcommand(1);
  auto add_bin_dir = [&](CLI::App* c) {
    c->add_option("--bin-dir", shim.bin_dir,
                  "The directory of the six iptables names (default " +
                      std::string(iptmode::kDefaultBinDir) + ")");
  };
  auto* install = sh->add_subcommand("install", "Put the shim in place of the six iptables names");
  add_bin_dir(install);
  install->add_option("--backend-dir", shim.backend_dir,
                      "Where xtables-<mode>-multi live (default: the bin dir)");
  install->add_option("--shim", shim.shim,
                      "The iptmode-shim binary to install (default: found beside iptmode)");
  install->add_flag("--dry-run", shim.dry_run, "Print the plan, change nothing");
  install->add_flag("--names-only", shim.names_only,
                    "Replace only the six names; leave k0s's staged xtables-*-multi in place");
  auto* uninstall =
      sh->add_subcommand("uninstall", "Put back k0s-style links to xtables-<mode>-multi");
  add_bin_dir(uninstall);
  uninstall->add_flag("--dry-run", shim.dry_run, "Print the plan, change nothing");
  auto* watch =
      sh->add_subcommand("watch", "Reinstall the shim whenever something replaces the names");
  add_bin_dir(watch);
  watch->add_option("--shim", shim.shim,
                    "The iptmode-shim binary to install (default: found beside iptmode)");
  watch->add_flag("--names-only", shim.names_only,
                  "Replace only the six names; leave k0s's staged xtables-*-multi in place");

  // The CLI's own words (cli/cmd_help.h).
  auto* ver = app.add_subcommand("version", "Print iptmode's version (as --version)");
  std::vector<std::string> help_words;
  auto* help = app.add_subcommand("help", "Print the help of a command: iptmode help shim install");
  help->add_option("command", help_words, "The command words");
  std::string shell;
  auto* completion =
      app.add_subcommand("completion", "Print the shell completion script: bash, zsh or fish");
  completion->add_option("shell", shell, "bash, zsh or fish")->required();

  if (auto bad = unknown_command(app, argc, argv)) {
    fmt::print(stderr, "iptmode: {} (see iptmode --help)\n", *bad);
    return kExitError;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "iptmode: {} (see iptmode --help)\n", e.what());
    return kExitError;
  }
  if (ver->parsed()) {
    fmt::print("{}\n", IPTMODE_VERSION);
    return kExitOk;
  }
  if (help->parsed()) return run_help(app, help_words);
  if (completion->parsed()) return run_completion(app, shell);
  if (det->parsed()) return run_detect(detect);
  if (aud->parsed()) return run_audit(audit);
  if (rep->parsed()) return run_repair(repair);
  if (mon->parsed()) return run_monitor(monitor);
  if (install->parsed()) return run_shim_install(shim);
  if (uninstall->parsed()) return run_shim_uninstall(shim);
  if (watch->parsed()) return run_shim_watch(shim);
  return kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  // Errors are values everywhere below; an exception is a bug, and it still
  // ends in one line and the documented status, not an abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "iptmode: internal error: %s (please report it)\n", e.what());
  } catch (...) {
    (void)std::fprintf(stderr, "iptmode: internal error (please report it)\n");
  }
  return iptmode::cli::kExitError;
}
