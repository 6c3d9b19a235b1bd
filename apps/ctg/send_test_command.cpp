// ctg send-test — its flags; send_test_run.cpp (in ctg-net) sends and judges.
#include "command.hpp"
#include "send_test_command.hpp"

namespace ctg::app {

void add_send_test_command(CLI::App& root, Registry& registry) {
  auto f = std::make_shared<SendTestFlags>();
  auto* cmd = root.add_subcommand("send-test", "Send signed sample events to an endpoint and judge its answers");
  cmd->add_option("url", f->url, "The endpoint (http:// or https://)")->required()->type_name("URL");
  cmd->add_option("--event", f->events, "Event types to send, globs allowed (repeatable; default: every current type)")
      ->type_name("TYPE");
  cmd->add_option("--fixture", f->fixtures, "Send this JSON event file instead of the embedded samples (repeatable)")
      ->type_name("FILE");
  cmd->add_option("--from-event", f->from_events, "Send a delivery captured by ctg listen (journal id or event id)")
      ->type_name("ID");
  cmd->add_option("--store", f->store, "Journal --from-event reads (default $XDG_STATE_HOME/ctg/events.db)")
      ->type_name("PATH")
      ->envname("CTG_STORE");
  cmd->add_option("--set", f->sets, "Override a field: path=value, JSON or text (repeatable)")->type_name("PATH=VALUE");
  add_secret_flags(*cmd, f->secrets);
  cmd->add_flag("--no-sign", f->no_sign, "Send without a Contiguity-Signature header");
  cmd->add_flag("--no-test-header", f->no_test_header, "Leave out the X-Ctg-Test: true header");
  cmd->add_option("-H,--header", f->headers, "Extra header 'Name: value' (repeatable)")->type_name("'K: V'");
  cmd->add_option("--expect-status", f->expect_status, "Statuses that pass: codes and classes (default 2xx)")
      ->type_name("LIST");
  cmd->add_option("--max-latency", f->max_latency_ms, "Slowest acceptable answer in ms (default 2000)")
      ->type_name("MS")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", f->timeout_seconds, "Give up on an answer after SECONDS (default 10)")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ca-file", f->client.ca_file, "Trust this CA bundle instead of the system's")->type_name("FILE");
  cmd->add_flag("--insecure", f->client.insecure, "Do not verify the endpoint's certificate (warns)");
  cmd->add_option("--suite", f->suite, "Run a named suite: conformance")
      ->type_name("NAME")
      ->check(CLI::IsMember({"conformance"}));
  cmd->add_option("--junit", f->junit, "Also write a JUnit XML report to FILE")->type_name("FILE");
  auto* load = cmd->add_option_group("Load mode", "Many requests at once; on with --count or --duration");
  load->add_option("--count", f->count, "Requests to send in load mode")->type_name("N")->check(CLI::PositiveNumber);
  load->add_option("--concurrency", f->concurrency, "Connections, each with one request in flight (default 10)")
      ->type_name("C")
      ->check(CLI::Range(1, 10000));
  load->add_option("--rate", f->rate, "Requests per second over all connections (default: as fast as answered)")
      ->type_name("R")
      ->check(CLI::PositiveNumber);
  load->add_option("--duration", f->duration, "Send for this long: 30s, 2m, 500ms")->type_name("TIME");
  load->add_option("--max-p99", f->max_p99_ms, "Fail when the 99th percentile latency exceeds MS")
      ->type_name("MS")
      ->check(CLI::PositiveNumber);
  load->add_option("--max-error-rate", f->max_error_rate,
                   "Fail when more requests than this fail: 0.01 or 1% (default 0)")
      ->type_name("RATE");
  cmd->footer(
      "Exit status: 0 every case passed, 1 a case failed, 2 usage, 3 the endpoint could not be reached.\n"
      "Examples:\n"
      "  ctg send-test http://localhost:8080/webhooks\n"
      "  ctg send-test https://api.example.com/hooks --event 'text.*' --set data.body='Hi there'\n"
      "  ctg send-test http://localhost:8080/webhooks --suite conformance --junit report.xml\n"
      "  ctg send-test http://localhost:8080/webhooks --count 10000 --concurrency 32 --max-p99 50");
  registry.add(cmd, send_test_run(f));
}

}  // namespace ctg::app
