// ctg login and ctg logout — the API token that register and webhooks use when neither
// --token-file nor the environment gives one, kept in $XDG_CONFIG_HOME/ctg/credentials (mode 0600).
// Network-free: login does not try the key against the API, so it works offline and in CI images.
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "ctg/api/credentials.hpp"
#include "ctg/core/file.hpp"

namespace ctg::app {

namespace {

constexpr std::string_view k_key_prefix = "contiguity_sk_";

volatile std::sig_atomic_t g_prompt_interrupted = 0;
void on_prompt_signal(int) {
  g_prompt_interrupted = 1;
}

// While a token is typed: echo off, so that it never shows on screen or in a terminal recording,
// and SIGINT/SIGTERM turned into an interrupted read, so that Ctrl-C does not leave the terminal
// without echo. The destructor puts both back on every path out.
class SilentTerminal {
 public:
  SilentTerminal() {
    m_echo_off = ::tcgetattr(STDIN_FILENO, &m_saved) == 0;
    if (m_echo_off) {
      termios silent = m_saved;
      silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      m_echo_off = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) == 0;
    }
    struct sigaction action {};
    action.sa_handler = on_prompt_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: the pending read() must return EINTR
    ::sigaction(SIGINT, &action, &m_old_int);
    ::sigaction(SIGTERM, &action, &m_old_term);
  }
  ~SilentTerminal() {
    if (m_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
    ::sigaction(SIGINT, &m_old_int, nullptr);
    ::sigaction(SIGTERM, &m_old_term, nullptr);
  }
  SilentTerminal(const SilentTerminal&) = delete;
  SilentTerminal& operator=(const SilentTerminal&) = delete;

 private:
  termios m_saved{};
  bool m_echo_off = false;
  struct sigaction m_old_int {};
  struct sigaction m_old_term {};
};

// One line typed at the terminal, without echo. Read byte by byte from the descriptor: stdio
// would retry after EINTR and hide Ctrl-C.
Result<std::string> prompt_for_token() {
  std::fputs("Contiguity API token: ", stderr);
  std::fflush(stderr);
  std::string line;
  {
    SilentTerminal silent;
    g_prompt_interrupted = 0;
    char c = 0;
    while (true) {
      const ssize_t n = ::read(STDIN_FILENO, &c, 1);
      if (n == 1 && c != '\n') {
        line += c;
        continue;
      }
      if (n == 0 || n == 1) break;
      if (errno == EINTR && g_prompt_interrupted == 0) continue;
      const int err = errno;
      std::fputc('\n', stderr);  // the Enter that echo did not show
      if (err == EINTR) return fail(ErrorKind::interrupted, "interrupted before a token was entered");
      return fail(ErrorKind::io, "cannot read the token from the terminal");
    }
  }
  std::fputc('\n', stderr);
  return line;
}

Result<std::string> read_token() {
  auto raw = ::isatty(STDIN_FILENO) != 0 ? prompt_for_token() : file::read_all(stdin, "standard input");
  if (!raw) return std::unexpected(raw.error());
  return api::clean_token(*raw, "standard input");
}

std::string credentials_file() {
  return api::credentials_path(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
}

// The environment variable that find_token would take before the stored token, or nullptr.
const char* overriding_env() {
  for (const char* name : {api::k_api_key_env, api::k_token_env}) {
    const char* value = std::getenv(name);
    if (value != nullptr && value[0] != '\0') return name;
  }
  return nullptr;
}

Result<ExitCode> run_login(Context& context) {
  auto token = read_token();
  if (!token) return std::unexpected(token.error());
  context.console.add_secret(*token);  // before anything is printed, the warnings included
  if (!token->starts_with(k_key_prefix)) {
    context.console.warn(
        fmt::format("this does not look like a Contiguity API key (they start with {}); stored anyway", k_key_prefix));
  }
  const auto path = credentials_file();
  if (auto stored = api::store_token(path, *token); !stored) return std::unexpected(stored.error());
  if (const char* name = overriding_env()) {
    context.console.warn(fmt::format("{} is set and takes precedence over the stored token", name));
  }
  if (context.global.json) {
    context.console.data_json(nlohmann::ordered_json{{"stored", true}, {"path", path}});
  } else {
    context.console.data_line(fmt::format("token stored in {} (mode 0600)", path));
  }
  return ExitCode::ok;
}

Result<ExitCode> run_logout(Context& context) {
  const auto path = credentials_file();
  auto removed = api::remove_token(path);
  if (!removed) return std::unexpected(removed.error());
  if (const char* name = overriding_env()) {
    context.console.warn(fmt::format("{} is still set; register and webhooks use it", name));
  }
  if (context.global.json) {
    context.console.data_json(nlohmann::ordered_json{{"removed", *removed}, {"path", path}});
  } else {
    context.console.data_line(*removed ? fmt::format("removed {}", path) : fmt::format("no stored token ({})", path));
  }
  return ExitCode::ok;
}

}  // namespace

void add_login_command(CLI::App& root, Registry& registry) {
  auto* login = root.add_subcommand("login", "Store a Contiguity API token for register and webhooks");
  login->footer(
      "Reads the token from standard input: typed at a prompt without echo on a terminal, else the\n"
      "whole input. Stores it in $XDG_CONFIG_HOME/ctg/credentials (else ~/.config/ctg/credentials),\n"
      "mode 0600. --token-file, CONTIGUITY_API_KEY and CONTIGUITY_TOKEN take precedence over it.\n"
      "The key is not checked against the API here: a wrong one shows at the first register or webhooks.\n"
      "Examples:\n"
      "  ctg login\n"
      "  printf '%s' \"$KEY\" | ctg login\n"
      "  ctg login < ~/secrets/contiguity.key");
  registry.add(login, run_login);

  auto* logout = root.add_subcommand("logout", "Remove the stored Contiguity API token");
  logout->footer(
      "Deletes the file 'ctg login' wrote; exit status 0 also when there was none. Tokens given by\n"
      "--token-file, CONTIGUITY_API_KEY or CONTIGUITY_TOKEN are not affected.\n"
      "Examples:\n"
      "  ctg logout\n"
      "  ctg logout --json");
  registry.add(logout, run_logout);
}

}  // namespace ctg::app
