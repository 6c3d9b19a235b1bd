// ctg send-test — sends the cases and reports (network: linked into ctg-net only).
#include <chrono>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"
#include "ctg/listen/config.hpp"
#include "ctg/net/url.hpp"
#include "ctg/sendtest/report.hpp"
#include "events_command.hpp"
#include "send_test_command.hpp"

namespace ctg::app {

namespace {

using namespace ctg::sendtest;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What to send: --fixture files and --from-event deliveries, and the embedded samples of --event
// types (or of every current type when nothing else is named).
Result<std::vector<Payload>> payloads_of(const SendTestFlags& f) {
  std::vector<Payload> out;
  for (const auto& path : f.fixtures) {
    auto content = file::read(path);
    if (!content) return std::unexpected(content.error());
    auto payload = file_payload(path, *content);
    if (!payload) return std::unexpected(payload.error());
    out.push_back(std::move(*payload));
  }
  if (!f.from_events.empty()) {
    EventsFlags events;
    events.store = f.store;
    auto journal = open_journal(events);
    if (!journal) return std::unexpected(journal.error());
    for (const auto& id : f.from_events) {
      auto delivery = find_delivery(**journal, id);
      if (!delivery) return std::unexpected(delivery.error());
      auto payload = file_payload(fmt::format("journal delivery {}", delivery->id), delivery->body);
      if (!payload) return std::unexpected(payload.error());
      payload->source = fmt::format("journal delivery {}", delivery->id);
      out.push_back(std::move(*payload));
    }
  }
  if (!f.events.empty() || out.empty()) {
    auto samples = fixture_payloads(f.events);
    if (!samples) return std::unexpected(samples.error());
    for (auto& p : *samples) out.push_back(std::move(p));
  }
  return out;
}

std::string latency_text(std::chrono::microseconds us) {
  if (us.count() < 10'000) return fmt::format("{:.1f} ms", static_cast<double>(us.count()) / 1000.0);
  return fmt::format("{} ms", us.count() / 1000);
}

// One line per case as it completes, and the risk under a failure.
void show(output::Console& console, const Case& c, const CaseResult& r, std::size_t width) {
  using output::Tone;
  const std::string name = fmt::format("{:<{}}", c.name, width);
  const Exchange* last = r.exchanges.empty() ? nullptr : &r.exchanges.back();
  switch (r.verdict) {
    case Verdict::passed:
      console.data_line(fmt::format("{} {}  {}  {:>8}  {}", console.paint_out(Tone::good, "✓"), name,
                                    console.paint_out(Tone::good, std::to_string(last->status)),
                                    latency_text(r.latency), console.paint_out(Tone::dim, last->excerpt)));
      return;
    case Verdict::skipped:
      console.data_line(fmt::format("{} {}  {}", console.paint_out(Tone::dim, "-"), name,
                                    console.paint_out(Tone::dim, "skipped: " + r.message)));
      return;
    case Verdict::failed:
    case Verdict::error: {
      const std::string status = last != nullptr && last->status != 0 ? std::to_string(last->status) : "---";
      console.data_line(fmt::format("{} {}  {}  {:>8}  {}", console.paint_out(Tone::bad, "✗"), name,
                                    console.paint_out(Tone::bad, status), latency_text(r.latency), r.message));
      if (last != nullptr && last->status != 0 && !last->excerpt.empty()) {
        console.data_line(fmt::format("    answer: {}", last->excerpt));
      }
      console.data_line(console.paint_out(Tone::warn, fmt::format("    risk: {}", c.risk)));
      return;
    }
  }
}

Result<ExitCode> run_send_test(Context& context, const SendTestFlags& f) {
  auto& console = context.console;
  auto url = net::parse_url(f.url);
  if (!url) return std::unexpected(url.error());
  auto expect = StatusExpectation::parse(f.expect_status);
  if (!expect) return std::unexpected(expect.error());

  PlanOptions plan;
  plan.now = unix_now();
  plan.expect = *expect;
  plan.test_header = !f.no_test_header;
  for (const auto& spec : f.sets) {
    auto o = events::parse_override(spec);
    if (!o) return std::unexpected(o.error());
    plan.overrides.push_back(std::move(*o));
  }
  for (const auto& spec : f.headers) {
    auto header = listen::parse_header_spec(spec);
    if (!header) return std::unexpected(header.error());
    plan.extra_headers.push_back(std::move(*header));
  }
  if (!f.no_sign) {
    auto secrets = load_secrets(f.secrets, console);
    if (!secrets) return std::unexpected(secrets.error());
    if (!secrets->empty()) {
      plan.secret = secrets->front();
    } else if (f.suite.empty()) {
      console.warn(fmt::format("no webhook secret: requests go unsigned (set {} or pass --secret-file; --no-sign "
                               "says it on purpose)",
                               k_secret_env));
    }
  }
  if (f.client.insecure && url->scheme == "https") {
    console.warn("--insecure: the endpoint's certificate is not verified");
  }

  auto payloads = payloads_of(f);
  if (!payloads) return std::unexpected(payloads.error());
  auto cases = f.suite == "conformance" ? conformance_cases(payloads->front(), *payloads, plan)
                                        : sample_cases(*payloads, plan);
  if (!cases) return std::unexpected(cases.error());

  RunOptions options;
  options.client = f.client;
  options.client.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.timeout_seconds * 1000));
  options.client.connect_timeout = std::min(options.client.connect_timeout, options.client.timeout);
  options.max_latency = std::chrono::milliseconds(f.max_latency_ms);
  auto runner = Runner::create(*url, options);
  if (!runner) return std::unexpected(runner.error());

  Report report;
  report.url = url->str();
  report.started_at_ms = now_ms();
  const bool text = !context.global.json;
  std::size_t width = 0;
  for (const auto& c : *cases) width = std::max(width, c.name.size());
  if (text) {
    console.info(fmt::format("send-test {} ({} case{}{})", report.url, cases->size(), cases->size() == 1 ? "" : "s",
                             f.suite.empty() ? "" : ", suite " + f.suite));
  }
  const auto started = std::chrono::steady_clock::now();
  for (auto& c : *cases) {
    auto result = (*runner)->run(c);
    if (text) show(console, c, result, width);
    report.outcomes.push_back({std::move(c), std::move(result)});
  }
  report.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);

  if (text) {
    console.data_line(summary_line(report));
  } else {
    console.data_line(to_json(report));
  }
  if (!f.junit.empty()) {
    if (auto written = file::write_private(f.junit, to_junit(report), 0644); !written) {
      return std::unexpected(written.error());
    }
  }
  const auto code = exit_code(report);
  if (code == ExitCode::cannot_run) {
    for (const auto& o : report.outcomes) {
      if (o.result.verdict != Verdict::error) continue;
      return fail(ErrorKind::network, fmt::format("{} could not be reached: {}", url->origin(), o.result.message));
    }
  }
  return code;
}

}  // namespace

Run send_test_run(std::shared_ptr<SendTestFlags> flags) {
  return [flags](Context& context) { return run_send_test(context, *flags); };
}

}  // namespace ctg::app
