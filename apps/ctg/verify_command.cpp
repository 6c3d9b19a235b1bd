// ctg verify — checks a delivery's signature offline and says why it fails.
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"
#include "ctg/net/request_capture.hpp"
#include "ctg/signing/signature.hpp"
#include "secrets.hpp"

namespace ctg::app {

namespace {

struct VerifyOptions {
  std::string body_file;
  std::string signature;
  std::string request_file;
  SecretFlags secrets;
  std::int64_t tolerance = signing::k_default_tolerance_seconds;
  std::optional<std::int64_t> now;
};

// "Contiguity-Signature: t=...,v1=..." pasted whole is accepted as well as the bare value.
std::string bare_header_value(std::string_view value) {
  value = text::trim(value);
  const auto name = signing::k_header_name;
  if (value.size() > name.size() && net::header_name_equals(value.substr(0, name.size()), name) &&
      value[name.size()] == ':') {
    value = text::trim(value.substr(name.size() + 1));
  }
  return std::string(value);
}

struct Delivery {
  std::string body;
  std::string header;
};

Result<Delivery> load_delivery(const VerifyOptions& options) {
  Delivery delivery;
  if (!options.request_file.empty()) {
    auto raw = options.request_file == "-" ? file::read_all(stdin) : file::read(options.request_file);
    if (!raw) return std::unexpected(raw.error());
    auto request = net::parse_captured_request(*raw);
    if (!request) return std::unexpected(request.error());
    delivery.body = std::move(request->body);
    delivery.header = request->header(signing::k_header_name).value_or("");
    return delivery;
  }
  auto body = options.body_file.empty() || options.body_file == "-" ? file::read_all(stdin)
                                                                    : file::read(options.body_file);
  if (!body) return std::unexpected(body.error());
  delivery.body = std::move(*body);
  delivery.header = bare_header_value(options.signature);
  return delivery;
}

Result<ExitCode> run_verify(Context& context, const VerifyOptions& options) {
  if (options.request_file.empty() && options.signature.empty()) {
    return fail(ErrorKind::usage, "nothing to verify against: give --signature 'HEADER VALUE' or --request FILE");
  }
  if (options.tolerance < 0) {
    return fail(ErrorKind::usage, fmt::format("--tolerance must be 0 (off) or a number of seconds, got {}",
                                              options.tolerance));
  }
  auto secrets = load_secrets(options.secrets, context.console);
  if (!secrets) return std::unexpected(secrets.error());
  if (secrets->empty()) {
    return fail(ErrorKind::usage, "no webhook secret given",
                fmt::format("set {} or pass --secret-file FILE", k_secret_env));
  }
  auto delivery = load_delivery(options);
  if (!delivery) return std::unexpected(delivery.error());

  const auto result = signing::verify(delivery->header, *secrets, delivery->body, options.now.value_or(unix_now()),
                                      {.tolerance_seconds = options.tolerance});
  if (context.global.json) {
    nlohmann::ordered_json out = {{"valid", result.valid()},
                                  {"reason", signing::to_string(result.outcome)},
                                  {"message", result.message},
                                  {"hints", result.hints}};
    if (result.timestamp) out["timestamp"] = *result.timestamp;
    if (result.timestamp) out["skew_seconds"] = result.skew_seconds;
    if (result.secret_index) out["secret_index"] = *result.secret_index;
    context.console.data_json(out);
  } else {
    const auto& console = context.console;
    std::string line = result.valid() ? console.paint_out(output::Tone::good, "valid")
                                      : console.paint_out(output::Tone::bad, "invalid");
    line += ": " + result.message;
    context.console.data_line(line);
    for (const auto& hint : result.hints) context.console.data_line("  hint: " + hint);
  }
  return result.valid() ? ExitCode::ok : ExitCode::failed;
}

}  // namespace

void add_verify_command(CLI::App& root, Registry& registry) {
  auto options = std::make_shared<VerifyOptions>();
  auto* cmd = root.add_subcommand("verify", "Verify a delivery's signature and diagnose why it fails");
  cmd->add_option("file", options->body_file, "Body as received, exact bytes ('-' or absent: standard input)")
      ->type_name("FILE");
  auto* signature = cmd->add_option("--signature", options->signature, "The Contiguity-Signature header value")
                        ->type_name("'t=...,v1=...'");
  auto* request = cmd->add_option("--request", options->request_file,
                                  "A captured HTTP request (headers, blank line, body) instead of FILE and --signature")
                      ->type_name("FILE");
  signature->excludes(request);
  add_secret_flags(*cmd, options->secrets);
  cmd->add_option("--tolerance", options->tolerance, "Seconds a timestamp may differ from now; 0 disables (default 300)")
      ->type_name("SECONDS");
  cmd->add_option("--now", options->now, "Unix seconds to take as now (default: the clock)")->type_name("SECONDS");
  cmd->footer(
      "Exit 0 when valid, 1 when invalid (with the reason and hints), 2 on usage errors.\n"
      "Examples:\n"
      "  ctg verify body.json --signature 't=1707321600,v1=0012bc...'\n"
      "  ctg verify --request captured.http --json");
  registry.add(cmd, [options](Context& context) { return run_verify(context, *options); });
}

}  // namespace ctg::app
