// ctg sign — signs a body exactly as Contiguity does and prints the Contiguity-Signature value,
// or a complete curl command that delivers it.
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"
#include "ctg/signing/signature.hpp"
#include "secrets.hpp"

namespace ctg::app {

namespace {

struct SignOptions {
  std::string body_file = "-";
  SecretFlags secrets;
  std::optional<std::int64_t> timestamp;
  std::string curl_url;
};

// Streams the body through the HMAC (bodies of any size in linear time); keeps a copy only when
// the curl command must carry it inline.
Result<std::string> sign_body(const SignOptions& options, const std::string& secret, UnixSeconds t,
                              std::string* keep_body) {
  signing::HmacSha256 mac(secret);
  const std::string prefix = std::to_string(t) + ".";
  mac.update(prefix);
  auto sink = [&](std::string_view chunk) {
    mac.update(chunk);
    if (keep_body != nullptr) keep_body->append(chunk);
  };
  auto read = options.body_file == "-" ? file::for_each_chunk(stdin, "standard input", sink)
                                       : file::for_each_chunk(options.body_file, sink);
  if (!read) return std::unexpected(read.error());
  return mac.finish_hex();
}

std::string curl_command(const SignOptions& options, const std::string& header_value, const std::string* body) {
  std::string data = options.body_file == "-" ? text::shell_quote(*body)
                                              : text::shell_quote("@" + options.body_file);
  return fmt::format(
      "curl -sS -X POST {} -H 'Content-Type: application/json' -H {} --data-binary {}",
      text::shell_quote(options.curl_url),
      text::shell_quote(fmt::format("{}: {}", signing::k_header_name, header_value)), data);
}

Result<ExitCode> run_sign(Context& context, const SignOptions& options) {
  auto secrets = load_secrets(options.secrets, context.console);
  if (!secrets) return std::unexpected(secrets.error());
  if (secrets->empty()) {
    return fail(ErrorKind::usage, "no webhook secret given",
                fmt::format("set {} or pass --secret-file FILE", k_secret_env));
  }
  if (secrets->size() > 1) context.console.note("several secrets are configured; signing with the first");
  if (options.timestamp && *options.timestamp < 0) {
    return fail(ErrorKind::usage, fmt::format("--timestamp must be Unix seconds, got {}", *options.timestamp));
  }
  const UnixSeconds t = options.timestamp.value_or(unix_now());

  std::string body;
  const bool inline_body = !options.curl_url.empty() && options.body_file == "-";
  auto v1 = sign_body(options, secrets->front(), t, inline_body ? &body : nullptr);
  if (!v1) return std::unexpected(v1.error());
  if (inline_body && text::find_invalid_utf8(body)) {
    return fail(ErrorKind::invalid_input, "the body is not UTF-8 text and cannot be put inline in a curl command",
                "save it to a file and pass the file: ctg sign FILE --curl URL");
  }
  const std::string header_value = fmt::format("t={},v1={}", t, *v1);

  if (context.global.json) {
    nlohmann::ordered_json out = {{"header", signing::k_header_name}, {"value", header_value},
                                  {"timestamp", t}, {"v1", *v1}};
    if (!options.curl_url.empty()) out["curl"] = curl_command(options, header_value, &body);
    context.console.data_json(out);
  } else if (!options.curl_url.empty()) {
    context.console.data_line(curl_command(options, header_value, &body));
  } else {
    context.console.data_line(header_value);
  }
  return ExitCode::ok;
}

}  // namespace

void add_sign_command(CLI::App& root, Registry& registry) {
  auto options = std::make_shared<SignOptions>();
  auto* cmd = root.add_subcommand("sign", "Sign a body as Contiguity does; print the Contiguity-Signature value");
  cmd->add_option("file", options->body_file, "Body to sign, as exact bytes ('-' or absent: standard input)")
      ->type_name("FILE");
  add_secret_flags(*cmd, options->secrets);
  cmd->add_option("--timestamp", options->timestamp, "Unix seconds to sign with (default: now)")->type_name("SECONDS");
  cmd->add_option("--curl", options->curl_url, "Print a curl command that delivers the signed body to URL")
      ->type_name("URL");
  cmd->footer(
      "Examples:\n"
      "  ctg fixtures show text.incoming.sms > event.json\n"
      "  ctg sign event.json\n"
      "  ctg sign event.json --curl http://localhost:3000/contiguity/webhook | sh");
  registry.add(cmd, [options](Context& context) { return run_sign(context, *options); });
}

}  // namespace ctg::app
