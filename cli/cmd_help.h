// The CLI's own words, kubectl- and k0s-style: `iptmode help [COMMAND...]`,
// `iptmode version`, `iptmode completion bash|zsh|fish`, and a one-line
// error that names a word that is no command. They read the command tree
// main.cpp builds, so a new subcommand or option is in all of them at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace iptmode::cli {

// The first word of argv (after argv[0]) where a command is due and none of
// that name exists, as "unknown command 'frob' for 'iptmode shim' (known:
// install, uninstall, watch)"; nullopt when every command word is known.
std::optional<std::string> unknown_command(const CLI::App& app, int argc, const char* const* argv);

// Prints the help of the command that `words` name (none: iptmode's own).
// An unknown word: one line on stderr, kExitError.
int run_help(const CLI::App& app, const std::vector<std::string>& words);

// Prints the completion script for `shell` ("bash", "zsh" or "fish").
int run_completion(const CLI::App& app, std::string_view shell);

}  // namespace iptmode::cli
