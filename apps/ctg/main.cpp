// ctg — entry point: parse the command line, dispatch to one command, map errors to exit codes.
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "command.hpp"
#include "ctg/core/exit_code.hpp"
#include "ctg/core/text.hpp"

namespace {

using namespace ctg;

std::string exit_code_footer() {
  std::string footer = "Exit codes:\n";
  for (const auto& row : exit_code_table()) footer += fmt::format("  {:<5}{}\n", static_cast<int>(row.code), row.meaning);
  footer +=
      "\nGlobal options (--json, --no-color, -v, -q) work before or after the command.\n"
      "Run 'ctg help COMMAND' for a command's options.";
  return footer;
}

output::ConsoleOptions console_options(const app::GlobalOptions& global) {
  const bool no_color = global.no_color || std::getenv("NO_COLOR") != nullptr;
  output::ConsoleOptions options;
  options.stdout_is_tty = ::isatty(STDOUT_FILENO) != 0;
  options.stdout_color = !no_color && options.stdout_is_tty ? output::Color::on : output::Color::off;
  options.stderr_color = !no_color && ::isatty(STDERR_FILENO) != 0 ? output::Color::on : output::Color::off;
  options.verbosity = global.quiet          ? output::Verbosity::quiet
                      : global.verbose > 0  ? output::Verbosity::verbose
                                            : output::Verbosity::normal;
  return options;
}

// The first word that is not an option is the command; nothing else at the top level takes a value.
std::string_view command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return i + 1 < argc ? std::string_view(argv[i + 1]) : std::string_view();
    if (!arg.starts_with('-')) return arg;
  }
  return {};
}

std::vector<std::string_view> command_names(const CLI::App& app) {
  std::vector<std::string_view> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

const CLI::App* deepest_selected(const CLI::App& app) {
  const CLI::App* current = &app;
  while (true) {
    auto selected = current->get_subcommands();
    if (selected.empty()) return current;
    current = selected.front();
  }
}

int show_help(CLI::App& app, const std::vector<std::string>& words, output::Console& console) {
  CLI::App* target = &app;
  for (const auto& word : words) {
    CLI::App* next = nullptr;
    try {
      next = target->get_subcommand(word);
    } catch (const CLI::OptionNotFound&) {
    }
    if (next == nullptr) {
      auto suggestions = text::nearest(word, command_names(*target));
      console.error(Error{ErrorKind::usage, fmt::format("unknown command '{}'", word),
                          suggestions.empty() ? "run 'ctg --help' for the list of commands"
                                              : fmt::format("did you mean '{}'?", suggestions.front())});
      return static_cast<int>(ExitCode::usage);
    }
    target = next;
  }
  console.data(target->help());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  app::GlobalOptions global;
  CLI::App app{"ctg: receive, test, check and register Contiguity webhooks.", "ctg"};
  app.set_version_flag("--version", "ctg " CTG_VERSION);
  app.fallthrough();
  app.add_flag("--json", global.json, "Machine-readable output on stdout");
  app.add_flag("--no-color", global.no_color, "No colour (also when NO_COLOR is set or output is redirected)");
  app.add_flag("-v,--verbose", global.verbose, "More detail on stderr");
  app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
  app.footer(exit_code_footer());
  app.require_subcommand(0, 1);

  app::Registry registry;
  app::add_listen_command(app, registry);
  app::add_events_command(app, registry);
  app::add_send_test_command(app, registry);
  app::add_check_command(app, registry);
  app::add_register_command(app, registry);
  app::add_login_command(app, registry);
  app::add_sign_command(app, registry);
  app::add_verify_command(app, registry);
  app::add_fixtures_command(app, registry);
  app::add_completion_command(app, registry);
  std::vector<std::string> help_words;
  auto* help = app.add_subcommand("help", "Show help for a command");
  help->add_option("command", help_words, "Command (and subcommand) to describe");

  output::Console early(stdout, stderr, console_options(global));
  if (const auto word = command_word(argc, argv); !word.empty()) {
    const auto names = command_names(app);
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      auto suggestions = text::nearest(word, names);
      early.error(Error{ErrorKind::usage, fmt::format("unknown command '{}'", word),
                        suggestions.empty() ? "run 'ctg --help' for the list of commands"
                                            : fmt::format("did you mean '{}'?", suggestions.front())});
      return static_cast<int>(ExitCode::usage);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const auto* where = deepest_selected(app);
    std::string path;
    for (const auto* c = where; c != nullptr && c->get_parent() != nullptr; c = c->get_parent())
      path = path.empty() ? c->get_name() : c->get_name() + " " + path;
    early.error(Error{ErrorKind::usage, e.what(),
                      path.empty() ? "run 'ctg --help'" : fmt::format("run 'ctg help {}'", path)});
    return static_cast<int>(ExitCode::usage);
  }

  output::Console console(stdout, stderr, console_options(global));
  if (help->parsed()) return show_help(app, help_words, console);
  const CLI::App* selected = deepest_selected(app);
  const app::Run* run = registry.find(selected);
  if (run == nullptr) {
    console.data(selected->help());  // `ctg` or a command group such as `ctg fixtures`
    return 0;
  }
  app::Context context{global, console, argv};
  auto result = (*run)(context);
  std::fflush(stdout);
  if (!result) {
    console.error(result.error());
    return static_cast<int>(exit_code_for(result.error().kind));
  }
  return static_cast<int>(*result);
}
