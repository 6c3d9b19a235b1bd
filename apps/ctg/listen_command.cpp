// ctg listen — flags and configuration; listen_session.cpp runs the receiver.
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "command.hpp"
#include "ctg/core/file.hpp"
#include "ctg/listen/config.hpp"
#include "listen_session.hpp"
#include "paths.hpp"
#include "secrets.hpp"

namespace ctg::app {

namespace {

struct ListenFlags {
  ListenSettings settings;
  SecretFlags secrets;
  std::vector<std::string> forward_specs;
  std::vector<std::string> header_specs;
  std::string events;
  std::string config_file;
};

bool given(const CLI::App& cmd, const char* name) {
  const auto* option = cmd.get_option(name);
  return option->count() > 0 || (!option->get_envname().empty() && std::getenv(option->get_envname().c_str()));
}

// Applies the config file where neither a flag nor the environment said anything.
Result<void> apply_config(const CLI::App& cmd, ListenFlags& f) {
  std::string path = f.config_file;
  if (path.empty()) {
    path = config_dir() + "/config.json";
    if (!std::filesystem::exists(path)) return {};
  }
  auto text = file::read(path);
  if (!text) return std::unexpected(text.error());
  auto config = listen::parse_listen_config(*text, path);
  if (!config) return std::unexpected(config.error());
  auto& s = f.settings;
  if (config->host && !given(cmd, "--host")) s.receiver.host = *config->host;
  if (config->port && !given(cmd, "--port")) s.receiver.port = *config->port;
  if (config->path && !given(cmd, "--path")) s.receiver.policy.path = *config->path;
  if (config->tolerance && !given(cmd, "--tolerance")) s.receiver.policy.tolerance_seconds = *config->tolerance;
  if (config->max_body && !given(cmd, "--max-body")) s.receiver.policy.max_body = *config->max_body;
  if (config->max_attempts && !given(cmd, "--max-attempts")) s.forwarder.retry.max_attempts = *config->max_attempts;
  if (!config->events.empty() && !given(cmd, "--events")) s.receiver.event_filter = config->events;
  if (!config->forward.empty() && f.forward_specs.empty()) s.forwarder.targets = config->forward;
  return {};
}

Result<ExitCode> run_listen(Context& context, ListenFlags& f, const CLI::App& cmd) {
  auto& s = f.settings;
  s.receiver.event_filter = listen::parse_event_list(f.events);
  for (const auto& spec : f.forward_specs) {
    auto target = listen::parse_forward_spec(spec);
    if (!target) return std::unexpected(target.error());
    s.forwarder.targets.push_back(std::move(*target));
  }
  if (auto applied = apply_config(cmd, f); !applied) return std::unexpected(applied.error());
  for (const auto& spec : f.header_specs) {
    auto header = listen::parse_header_spec(spec);
    if (!header) return std::unexpected(header.error());
    for (auto& target : s.forwarder.targets) target.headers.push_back(*header);
  }
  if (s.receiver.port < 0 || s.receiver.port > 65535) {
    return fail(ErrorKind::usage, fmt::format("--port must be from 0 to 65535, got {}", s.receiver.port));
  }
  if (!s.receiver.policy.path.starts_with('/')) {
    return fail(ErrorKind::usage, fmt::format("--path must start with '/', got \"{}\"", s.receiver.policy.path));
  }
  if (s.receiver.policy.tolerance_seconds < 0) return fail(ErrorKind::usage, "--tolerance must be 0 or more seconds");
  if (s.forwarder.retry.max_attempts < 1) return fail(ErrorKind::usage, "--max-attempts must be at least 1");
  auto secrets = load_secrets(f.secrets, context.console);
  if (!secrets) return std::unexpected(secrets.error());
  s.receiver.policy.secrets = std::move(*secrets);
  if (s.store.empty()) s.store = default_store_path();
  return run_listen_session(context, s);
}

}  // namespace

void add_listen_command(CLI::App& root, Registry& registry) {
  auto f = std::make_shared<ListenFlags>();
  auto& s = f->settings;
  auto* cmd = root.add_subcommand("listen", "Receive webhooks locally: verify, acknowledge, journal, show, forward");
  cmd->add_option("--host", s.receiver.host, "Address to listen on (default 127.0.0.1)")->envname("CTG_HOST");
  cmd->add_option("--port", s.receiver.port, "Port to listen on; 0 picks a free one (default 3000)")
      ->envname("CTG_PORT");
  cmd->add_option("--path", s.receiver.policy.path, "Webhook path (default /contiguity/webhook)")->envname("CTG_PATH");
  add_secret_flags(*cmd, f->secrets);
  cmd->add_option("--tolerance", s.receiver.policy.tolerance_seconds,
                  "Seconds a signature timestamp may differ from now; 0 disables (default 300)")
      ->type_name("SECONDS");
  cmd->add_option("--max-body", s.receiver.policy.max_body, "Largest body accepted, in bytes (default 1048576)")
      ->type_name("BYTES");
  cmd->add_option("--store", s.store, "Journal file (default $XDG_STATE_HOME/ctg/events.db)")
      ->type_name("PATH")
      ->envname("CTG_STORE");
  cmd->add_flag("--no-store", s.no_store, "Keep no journal after exit (forwarding still queues in a temporary one)");
  cmd->add_flag("--tls", s.tls, "Serve HTTPS (with --cert/--key, or a generated self-signed certificate)");
  cmd->add_option("--cert", s.receiver.cert_file, "TLS certificate chain (PEM)")->type_name("FILE");
  cmd->add_option("--key", s.receiver.key_file, "TLS private key (PEM)")->type_name("FILE");
  cmd->add_option("--ready-file", s.ready_file, "Write the URL to FILE once the socket listens")->type_name("FILE");
  cmd->add_option("--forward-to", f->forward_specs,
                  "Forward accepted events to URL, or 'GLOBS=URL' for some types (repeatable)")
      ->type_name("[TYPES=]URL");
  cmd->add_option("-H,--header", f->header_specs, "Extra header on forwarded requests: 'Name: value' (repeatable)")
      ->type_name("'K: V'");
  cmd->add_option("--events", f->events, "Show and forward only these types: 'text.*,otp.*'")->type_name("GLOBS");
  cmd->add_flag("--print-body", s.print_body, "Show each delivery's body");
  cmd->add_option("--max-attempts", s.forwarder.retry.max_attempts,
                  "Forward attempts before an event is dead-lettered (default 8)")
      ->type_name("N");
  cmd->add_flag("--insecure", s.forwarder.client.insecure, "Do not verify HTTPS forward targets' certificates");
  cmd->add_option("--ca-file", s.forwarder.client.ca_file, "Trust this CA bundle for HTTPS forward targets")
      ->type_name("FILE");
  cmd->add_option("--config", f->config_file, "Config file (default $XDG_CONFIG_HOME/ctg/config.json if present)")
      ->type_name("FILE");
  cmd->footer(
      "Examples:\n"
      "  ctg listen --forward-to http://localhost:8080/webhooks\n"
      "  ctg listen --port 0 --ready-file /tmp/ctg.url --json\n"
      "  ctg listen --tls --forward-to 'text.*=http://localhost:8080/sms' --events 'text.*,otp.*'");
  registry.add(cmd, [f, cmd](Context& context) { return run_listen(context, *f, *cmd); });
}

}  // namespace ctg::app
