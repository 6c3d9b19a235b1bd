// ctg send-test — sends the cases and reports (network: linked into ctg-net only).
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"
#include "ctg/listen/config.hpp"
#include "ctg/net/url.hpp"
#include "ctg/sendtest/load_report.hpp"
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

// A progress line on stderr, redrawn in place (only on a terminal).
void draw_progress(const sendtest::LoadStats& s, std::uint64_t count) {
  std::string line = fmt::format("\r{} sent", s.sent);
  if (count > 0) {
    constexpr int k_width = 30;
    const auto done = static_cast<int>(static_cast<double>(s.completed) * k_width / static_cast<double>(count));
    line = fmt::format("\r[{}{}] {}/{}", std::string(static_cast<std::size_t>(std::min(done, k_width)), '#'),
                       std::string(static_cast<std::size_t>(k_width - std::min(done, k_width)), '.'), s.completed, count);
  }
  std::uint64_t unanswered = 0;
  for (const auto& [why, n] : s.failures) unanswered += n;
  line += fmt::format("  {:.0f}/s  p99 {:.1f} ms  errors {}\x1b[K", s.throughput(),
                      static_cast<double>(s.latency.percentile(0.99).count()) / 1000.0,
                      s.completed - s.succeeded + unanswered);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

Result<ExitCode> run_load_mode(Context& context, const SendTestFlags& f, const net::Url& url,
                               const std::vector<Payload>& payloads, const PlanOptions& plan) {
  auto& console = context.console;
  if (!f.suite.empty()) return fail(ErrorKind::usage, "--suite and load mode (--count, --duration) do not go together");
  LoadOptions options;
  options.count = f.count;
  options.concurrency = f.concurrency;
  options.rate = f.rate;
  if (!f.duration.empty()) {
    auto duration = parse_duration(f.duration, "--duration");
    if (!duration) return std::unexpected(duration.error());
    options.duration = *duration;
  }
  auto max_error_rate = parse_error_rate(f.max_error_rate);
  if (!max_error_rate) return std::unexpected(max_error_rate.error());
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.timeout_seconds * 1000));
  options.insecure = f.client.insecure;
  options.ca_file = f.client.ca_file;
  options.expect = plan.expect;

  const bool text = !context.global.json;
  const bool progress = text && !context.global.quiet && ::isatty(STDERR_FILENO) != 0;
  if (text) {
    console.info(fmt::format("send-test {}: {} over {} connection{}{}", url.str(),
                             f.count > 0 ? fmt::format("{} requests", f.count) : "for " + f.duration, f.concurrency,
                             f.concurrency == 1 ? "" : "s", f.rate > 0 ? fmt::format(" at {}/s", f.rate) : ""));
  }
  LoadReport report;
  report.url = url.str();
  report.concurrency = f.concurrency;
  report.rate = f.rate;
  report.started_at_ms = now_ms();
  auto stats = run_load(url, payloads, plan, options,
                        progress ? LoadProgress([&](const LoadStats& s) { draw_progress(s, f.count); }) : LoadProgress());
  if (progress) std::fputs("\r\x1b[K", stderr);
  if (!stats) return std::unexpected(stats.error());
  report.stats = std::move(*stats);
  report.checks = evaluate(report.stats, f.max_p99_ms, *max_error_rate);
  if (text) {
    for (const auto& line : text_lines(report)) console.data_line(line);
    for (const auto& c : report.checks) {
      console.data_line(fmt::format("{} {}", c.passed ? console.paint_out(output::Tone::good, "✓")
                                                      : console.paint_out(output::Tone::bad, "✗"),
                                    c.message));
    }
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
    return fail(ErrorKind::network,
                fmt::format("{} could not be reached: {}", url.origin(), report.stats.failures.begin()->first));
  }
  return code;
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
  if (f.count > 0 || !f.duration.empty()) return run_load_mode(context, f, *url, *payloads, plan);
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
