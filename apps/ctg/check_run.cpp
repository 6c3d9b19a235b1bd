// ctg check — probes the endpoint and reports (network: linked into ctg-net only).
#include <fmt/format.h>

#include "check_command.hpp"
#include "ctg/check/checker.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/net/http_client.hpp"

namespace ctg::app {

namespace {

output::Tone tone_of(check::Severity severity) {
  switch (severity) {
    case check::Severity::pass: return output::Tone::good;
    case check::Severity::fail: return output::Tone::bad;
    case check::Severity::warn: return output::Tone::warn;
    case check::Severity::info:
    case check::Severity::skip: return output::Tone::dim;
  }
  return output::Tone::plain;
}

Result<ExitCode> run_check(Context& context, const CheckFlags& f) {
  auto& console = context.console;
  auto url = net::parse_url(f.url);
  if (!url) return std::unexpected(url.error());
  check::CheckOptions options;
  options.url = *url;
  if (!f.ca_file.empty()) {
    if (auto usable = net::check_ca_file(f.ca_file); !usable) return std::unexpected(usable.error());
    options.store.ca_file = f.ca_file;
  }
  auto secrets = load_secrets(f.secrets, console);
  if (!secrets) return std::unexpected(secrets.error());
  if (!secrets->empty()) options.secret = secrets->front();
  options.max_latency = std::chrono::milliseconds(f.max_latency_ms);
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.timeout_seconds * 1000));
  options.grade = f.grade;
  options.now = unix_now();
  options.user_agent = f.user_agent;

  const auto report = check::run_check(options);
  const bool fail_on_warn = f.fail_on == "warn";
  const int code = check::exit_code(report, fail_on_warn);
  if (context.global.json) {
    console.data_line(check::to_json(report, code));
  } else {
    const auto paint = [&](check::Severity severity, std::string_view mark) {
      return console.paint_out(tone_of(severity), mark);
    };
    for (const auto& line : check::text_lines(report, paint)) console.data_line(line);
  }
  if (!f.junit.empty()) {
    if (auto written = file::write_private(f.junit, check::to_junit(report, fail_on_warn), 0644); !written) {
      return std::unexpected(written.error());
    }
  }
  return code == 0 ? ExitCode::ok : ExitCode::failed;
}

}  // namespace

Run check_run(std::shared_ptr<CheckFlags> flags) {
  return [flags](Context& context) { return run_check(context, *flags); };
}

}  // namespace ctg::app
