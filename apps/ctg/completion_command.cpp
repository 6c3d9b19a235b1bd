// ctg completion — prints the shell completion script compiled into the binary (the same text
// as completions/ in the source tree).
#include <fmt/format.h>

#include "command.hpp"
#include "ctg/core/embedded.hpp"

namespace ctg::app {

namespace {

std::string_view file_for(std::string_view shell) {
  if (shell == "bash") return "ctg.bash";
  if (shell == "zsh") return "_ctg";
  return "ctg.fish";
}

Result<ExitCode> run_completion(Context& context, const std::string& shell) {
  for (const auto& file : embedded::completion_files()) {
    if (file.name == file_for(shell)) {
      context.console.data(file.content);
      return ExitCode::ok;
    }
  }
  return fail(ErrorKind::internal, fmt::format("no {} completion is built into this ctg", shell));
}

}  // namespace

void add_completion_command(CLI::App& root, Registry& registry) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand("completion", "Print the shell completion script for bash, zsh or fish");
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}))
      ->type_name("SHELL");
  cmd->footer(
      "Install:\n"
      "  bash: ctg completion bash > ~/.local/share/bash-completion/completions/ctg\n"
      "  zsh:  ctg completion zsh > \"${fpath[1]}/_ctg\"\n"
      "  fish: ctg completion fish > ~/.config/fish/completions/ctg.fish");
  registry.add(cmd, [shell](Context& context) { return run_completion(context, *shell); });
}

}  // namespace ctg::app
