#include "cli/cmd_help.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/exit_codes.h"

namespace iptmode::cli {
namespace {

// Fish's single quotes: only \ and ' are special.
std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::vector<const CLI::App*> commands(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* c : app.get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(c);
  return out;
}

std::string names(const CLI::App& app) {
  std::string out;
  for (const CLI::App* c : commands(app)) out += (out.empty() ? "" : ", ") + c->get_name();
  return out;
}

const CLI::App* find(const CLI::App& app, std::string_view name) {
  for (const CLI::App* c : commands(app))
    if (c->get_name() == name) return c;
  return nullptr;
}

std::string path_of(const CLI::App* app) {
  std::string p = app->get_name();
  for (const CLI::App* a = app->get_parent(); a; a = a->get_parent())
    p.insert(0, " ").insert(0, a->get_name());
  return p;
}

std::string unknown(const CLI::App& at, std::string_view word) {
  return fmt::format("unknown command '{}' for '{}' (known: {})", word, path_of(&at), names(at));
}

// Every option's long names of one command, space separated (with --help).
std::string long_options(const CLI::App& app) {
  std::string out = "--help";
  for (const CLI::Option* o : app.get_options([](const CLI::Option*) { return true; }))
    for (const std::string& n : o->get_lnames())
      if (n != "help") out += " --" + n;
  return out;
}

// One bash `case` arm per command: what may follow it.
void bash_arms(const CLI::App& app, const std::string& path, std::string& out) {
  std::string words = long_options(app);
  for (const CLI::App* c : commands(app)) words += " " + c->get_name();
  out += fmt::format("    '{}') words='{}' ;;\n", path, words);
  for (const CLI::App* c : commands(app))
    bash_arms(*c, path.empty() ? c->get_name() : path + " " + c->get_name(), out);
}

std::string bash_script(const CLI::App& app) {
  std::string arms;
  bash_arms(app, "", arms);
  return fmt::format(R"(# bash completion for iptmode (made by `iptmode completion bash`)
_iptmode() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} path= w i words=
  # The command words typed so far, options skipped.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${{COMP_WORDS[i]}}
    [[ $w == -* ]] && continue
    case " $(_iptmode_words "$path") " in *" $w "*) path=${{path:+$path }}$w ;; esac
  done
  words=$(_iptmode_words "$path")
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
_iptmode_words() {{
  local words=
  case "$1" in
{}  esac
  echo "$words"
}}
complete -F _iptmode iptmode
)",
                     arms);
}

void fish_lines(const CLI::App& app, const std::vector<std::string>& path, std::string& out) {
  // Fish's condition: exactly this command path has been typed.
  std::string cond = "__fish_use_subcommand";
  if (!path.empty()) {
    cond = "__fish_seen_subcommand_from " + path.back();
    std::string next;
    for (const CLI::App* c : commands(app)) next += " " + c->get_name();
    if (!next.empty()) cond += "; and not __fish_seen_subcommand_from" + next;
  }
  for (const CLI::App* c : commands(app))
    out += fmt::format("complete -c iptmode -f -n '{}' -a {} -d {}\n", cond, c->get_name(),
                       fish_quote(c->get_description()));
  for (const CLI::Option* o : app.get_options([](const CLI::Option*) { return true; }))
    for (const std::string& n : o->get_lnames())
      if (n != "help" && !path.empty())
        out += fmt::format("complete -c iptmode -n '{}' -l {}\n", cond, n);
  for (const CLI::App* c : commands(app)) {
    auto p = path;
    p.push_back(c->get_name());
    fish_lines(*c, p, out);
  }
}

}  // namespace

std::optional<std::string> unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string_view w = argv[i];
    if (w.starts_with("-")) return std::nullopt;  // options: CLI11 names them itself
    if (commands(*at).empty()) return std::nullopt;
    const CLI::App* next = find(*at, w);
    if (!next) return unknown(*at, w);
    at = next;
  }
  return std::nullopt;
}

int run_help(const CLI::App& app, const std::vector<std::string>& words) {
  const CLI::App* at = &app;
  for (const std::string& w : words) {
    const CLI::App* next = find(*at, w);
    if (!next) {
      fmt::print(stderr, "iptmode: help: {}\n", unknown(*at, w));
      return kExitError;
    }
    at = next;
  }
  fmt::print("{}", at->help());
  return kExitOk;
}

int run_completion(const CLI::App& app, std::string_view shell) {
  if (shell == "bash") {
    fmt::print("{}", bash_script(app));
  } else if (shell == "zsh") {
    // zsh runs the bash function through its bashcompinit layer.
    fmt::print("#compdef iptmode\nautoload -U +X bashcompinit && bashcompinit\n{}",
               bash_script(app));
  } else if (shell == "fish") {
    std::string out = "# fish completion for iptmode (made by `iptmode completion fish`)\n";
    fish_lines(app, {}, out);
    fmt::print("{}", out);
  } else {
    fmt::print(stderr, "iptmode: completion: unknown shell '{}' (known: bash, zsh, fish)\n", shell);
    return kExitError;
  }
  return kExitOk;
}

}  // namespace iptmode::cli
