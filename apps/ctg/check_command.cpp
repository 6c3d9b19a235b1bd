// ctg check — its flags; check_run.cpp (in ctg-net) probes and judges.
#include "check_command.hpp"
#include "command.hpp"

namespace ctg::app {

void add_check_command(CLI::App& root, Registry& registry) {
  auto f = std::make_shared<CheckFlags>();
  f->user_agent = "ctg/" CTG_VERSION " (check)";
  auto* cmd = root.add_subcommand("check", "Check an endpoint's HTTPS setup the way a webhook sender sees it");
  cmd->add_option("url", f->url, "The endpoint (https://...)")->required()->type_name("URL");
  cmd->add_option("--ca-file", f->ca_file, "Trust this CA bundle instead of the system's (local work: WARN, not FAIL)")
      ->type_name("FILE");
  add_secret_flags(*cmd, f->secrets);
  cmd->add_option("--max-latency", f->max_latency_ms, "Latency budget in ms, DNS to first byte (default 2000)")
      ->type_name("MS")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", f->timeout_seconds, "Give up on each connection step after SECONDS (default 10)")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--grade", f->grade, "Add an SSL-Labs-style letter grade (never the CI gate)");
  cmd->add_option("--junit", f->junit, "Also write a JUnit XML report to FILE")->type_name("FILE");
  cmd->add_option("--fail-on", f->fail_on, "Exit 1 on fail (default) or also on warn")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"fail", "warn"}));
  cmd->footer(
      "Checks: scheme, DNS, connect, TLS handshake (SNI), chain built only from the certificates served,\n"
      "hostname, validity, key, signature, protocols TLS 1.3 to SSLv3 one by one, weak ciphers, forward\n"
      "secrecy, a POST of a sample event (signed when a secret is set; a forged one should get 4xx), no\n"
      "redirect, latency, HSTS, OCSP stapling. Deep vulnerability scans are testssl.sh's and sslyze's job.\n"
      "Exit status: 0 nothing failed, 1 a check failed (an unreachable endpoint too), 2 usage, 3 ctg could\n"
      "not run (an unreadable --ca-file).\n"
      "Examples:\n"
      "  ctg check https://api.example.com/webhooks/contiguity\n"
      "  CONTIGUITY_WEBHOOK_SECRET=whsec_... ctg check https://api.example.com/hooks --json\n"
      "  ctg check https://localhost:8443/hooks --ca-file ~/.local/state/ctg/tls/cert.pem --fail-on warn");
  registry.add(cmd, check_run(f));
}

}  // namespace ctg::app
