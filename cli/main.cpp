// iptmode: one iptables backend for every writer of a node's packet filter.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cmd_detect.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  using namespace iptmode::cli;
  CLI::App app{"iptmode: keeps every writer of a node's packet filter on one iptables backend"};
  app.set_version_flag("--version", std::string(IPTMODE_VERSION));
  app.require_subcommand(1);

  DetectOptions detect;
  auto* cmd = app.add_subcommand("detect", "Decide the node's iptables mode from the evidence, with reasons");
  cmd->add_flag("--json", detect.json, "Print one JSON object (schema iptmode.detect/v1)");
  cmd->add_option("--mode", detect.mode, "Override the decision")->check(CLI::IsMember({"auto", "nft", "legacy"}));
  cmd->add_option("--config", detect.config, "Config file (default /etc/iptmode/iptmode.conf)");
  cmd->add_option("--host-root", detect.host_root, "Read host files (binaries, config) under this directory")
      ->check(CLI::ExistingDirectory);

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
  if (cmd->parsed()) return run_detect(detect);
  return kExitError;
}
