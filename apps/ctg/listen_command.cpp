// ctg listen — its flags; listen_session.cpp (in ctg-net) applies the configuration and runs the
// receiver.
#include "command.hpp"
#include "listen_session.hpp"

namespace ctg::app {

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
  cmd->add_option("--max-buffered", s.receiver.max_buffered,
                  "Request bytes held in memory for all connections together; beyond, 503 (default 67108864)")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  cmd->add_option("--read-timeout", f->read_timeout_seconds,
                  "Seconds a request may take to arrive whole (408 after); idle connections close after it (default 5)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600));
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
  cmd->add_option("--threads", s.receiver.loops,
                  "Event-loop threads serving connections (default: half the CPU cores, at most 4)")
      ->type_name("N")
      ->check(CLI::Range(1, 64));
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
  registry.add(cmd, listen_run(f, *cmd));
}

}  // namespace ctg::app
