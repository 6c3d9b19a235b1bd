#include "ctg/output/listen_renderer.hpp"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"

namespace ctg::output {

namespace {

using json = nlohmann::ordered_json;

std::string latency_text(std::int64_t us) {
  if (us < 10'000) return fmt::format("{:.1f} ms", static_cast<double>(us) / 1000.0);
  return fmt::format("{} ms", us / 1000);
}

json nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// One JSON line. Requests and forward targets' answers may hold bytes that are not UTF-8 (in a
// path, a header, an answer excerpt): they become U+FFFD instead of throwing. Control characters
// are escaped by the encoder, and what JSON leaves raw but a terminal obeys (C1 controls, DEL,
// bidirectional overrides) by json_terminal_safe.
std::string line_of(const json& value) {
  return text::json_terminal_safe(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Untrusted text (from a request, a journal, a forward target) as it may reach a terminal.
std::string safe(std::string_view s) {
  return text::terminal_safe(s);
}

}  // namespace

std::string clock_time(std::int64_t unix_ms) {
  const std::time_t t = unix_ms / 1000;
  std::tm local{};
  ::localtime_r(&t, &local);
  return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
}

std::string iso_time(std::int64_t unix_ms) {
  const std::time_t t = unix_ms / 1000;
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, unix_ms % 1000);
}

ListenRenderer::ListenRenderer(Console& console, ListenRenderOptions options)
    : m_console(console), m_options(options) {}

void ListenRenderer::on_ready(const ReadyInfo& info) {
  std::lock_guard lock(m_mutex);
  if (m_options.json) {
    json out{{"event", "ready"},
             {"url", info.url},
             {"verifying", info.verifying},
             {"store", nullable(info.store)},
             {"targets", info.targets}};
    if (!info.tls_fingerprint.empty()) {
      out["tls"] = {{"certificate", info.tls_cert_file}, {"fingerprint_sha256", info.tls_fingerprint},
                    {"generated", info.tls_generated}};
    }
    m_console.data_line(line_of(out));
    std::fflush(stdout);
    return;
  }
  m_console.info(fmt::format("{} listening on {}", m_console.paint_err(Tone::good, "Ready:"), info.url));
  if (info.verifying) {
    m_console.info(fmt::format("  verifying signatures with {} secret{}", info.secrets, info.secrets == 1 ? "" : "s"));
  }
  if (!info.store.empty()) m_console.info(fmt::format("  journal: {}", info.store));
  for (const auto& target : info.targets) m_console.info(fmt::format("  forwarding to {}", target));
  if (!info.tls_fingerprint.empty()) {
    m_console.info(fmt::format("  TLS certificate {}{}", info.tls_cert_file, info.tls_generated ? " (generated)" : ""));
    m_console.info(fmt::format("  SHA-256 fingerprint {}", info.tls_fingerprint));
    m_console.info(fmt::format("  trust it: curl --cacert {} ...   or   ctg send-test --ca-file {} ...",
                               info.tls_cert_file, info.tls_cert_file));
  }
  std::fflush(stderr);
}

void ListenRenderer::on_stopped(std::int64_t pending_forwards) {
  std::lock_guard lock(m_mutex);
  const std::int64_t deliveries = m_deliveries;
  if (m_options.json) {
    m_console.data_line(
        json{{"event", "stopped"}, {"deliveries", deliveries}, {"pending_forwards", pending_forwards}}.dump());
  } else {
    m_console.info(fmt::format("Stopped after {} request{}{}", deliveries, deliveries == 1 ? "" : "s",
                               pending_forwards > 0
                                   ? fmt::format("; {} forward(s) still pending, resumed on the next start with "
                                                 "the same store",
                                                 pending_forwards)
                                   : ""));
  }
  std::fflush(stdout);
}

void ListenRenderer::on_delivery(const listen::DeliveryReport& report) {
  std::lock_guard lock(m_mutex);
  ++m_deliveries;
  if (!report.shown) return;
  const auto& d = report.delivery;
  const bool accepted = d.status >= 200 && d.status < 300;
  if (m_options.json) {
    json issues = json::array();
    for (const auto& issue : report.schema_issues) issues.push_back({{"path", issue.path}, {"message", issue.message}});
    json out{{"event", "delivery"},
             {"id", d.id},
             {"received_at", iso_time(d.received_at_ms)},
             {"status", d.status},
             {"type", nullable(d.event_type)},
             {"event_id", nullable(d.event_id)},
             {"verification", nullable(d.verification)},
             {"duplicate", d.duplicate},
             {"summary", nullable(report.summary)},
             {"rejection", nullable(d.rejection)},
             {"hints", report.hints},
             {"schema_issues", issues},
             {"forwarded_to", report.forwarded_to},
             {"peer", d.peer},
             {"method", d.method},
             {"path", d.path},
             {"duration_us", d.duration_us}};
    if (m_options.print_body) {
      if (text::find_invalid_utf8(d.body)) {
        out["body_base64"] = nullptr;  // not text: see `ctg events show`
      } else {
        out["body"] = d.body;
      }
    }
    m_console.data_line(line_of(out));
    return;  // flushed in on_drained, once per batch of reports
  }
  // Text mode: every field that came with the request goes through terminal_safe (type, id,
  // summary, hints, schema issues, method, path, rejection, body), appended where the line is built.
  const auto status = m_console.paint_out(accepted ? Tone::good : Tone::bad, std::to_string(d.status));
  std::string line = clock_time(d.received_at_ms);
  line += "  ";
  line += status;
  line += "  ";
  if (accepted) {
    text::append_terminal_safe(line, d.event_type);
    line += "  ";
    line += m_console.paint_out(Tone::dim, d.event_id.empty() ? "-" : safe(d.event_id));
    line += "  ";
    text::append_terminal_safe(line, report.summary);
    line += "  ";
    line += d.verification == "valid" ? m_console.paint_out(Tone::good, "signed")
                                      : m_console.paint_out(Tone::warn, safe(d.verification));
    if (d.duplicate) line += "  " + m_console.paint_out(Tone::warn, "duplicate (not forwarded again)");
  } else {
    text::append_terminal_safe(line, d.method);
    line += ' ';
    text::append_terminal_safe(line, d.path);
    line += "  ";
    text::append_terminal_safe(line, d.rejection);
  }
  m_console.data_line(line);
  for (const auto& hint : report.hints) m_console.data_line("          hint: " + safe(hint));
  for (const auto& issue : report.schema_issues) {
    m_console.data_line(
        m_console.paint_out(Tone::warn, fmt::format("          schema: {} {}", safe(issue.path), safe(issue.message))));
  }
  if (m_options.print_body && !d.body.empty()) {
    if (text::find_invalid_utf8(d.body)) {
      m_console.data_line(fmt::format("          body: {} bytes, not UTF-8", d.body.size()));
    } else {
      m_console.data_line(text::terminal_safe(d.body, text::LineBreaks::keep));
    }
  }
}

void ListenRenderer::on_skipped(std::int64_t count) {
  std::lock_guard lock(m_mutex);
  m_deliveries += count;
  if (m_options.json) {
    m_console.data_line(json{{"event", "skipped"}, {"deliveries", count}}.dump());
    return;
  }
  m_console.data_line(m_console.paint_out(
      Tone::warn, fmt::format("{} deliver{} not shown: the display fell behind (all are journaled: ctg events list)",
                              count, count == 1 ? "y" : "ies")));
}

void ListenRenderer::on_drained() {
  std::lock_guard lock(m_mutex);
  std::fflush(stdout);
}

void ListenRenderer::on_journal_error(const Error& error) {
  std::lock_guard lock(m_mutex);
  m_console.error(Error{error.kind, "journal: " + error.message + " (the request was answered 503)", error.hint});
}

void ListenRenderer::on_attempt(const store::Delivery& delivery, const store::Forward& forward,
                                const store::Attempt& attempt, store::ForwardState final_state) {
  std::lock_guard lock(m_mutex);
  const bool retry = final_state == store::ForwardState::pending;
  if (retry && !m_options.verbose && !m_options.json) return;  // target_down says it once
  if (m_options.json) {
    json out{{"event", "forward"},
             {"delivery_id", delivery.id},
             {"event_id", nullable(delivery.event_id)},
             {"target", forward.target},
             {"attempt", attempt.number},
             {"status", attempt.status == 0 ? json(nullptr) : json(attempt.status)},
             {"latency_us", attempt.latency_us},
             {"error", nullable(attempt.error)},
             {"state", store::to_string(final_state)},
             {"next_attempt_at", attempt.next_attempt_at_ms == 0 ? json(nullptr)
                                                                 : json(iso_time(attempt.next_attempt_at_ms))},
             {"response_excerpt", attempt.response_excerpt}};
    m_console.data_line(line_of(out));
    std::fflush(stdout);
    return;
  }
  std::string outcome;
  switch (final_state) {
    case store::ForwardState::delivered:
      outcome = m_console.paint_out(Tone::good, std::to_string(attempt.status));
      break;
    case store::ForwardState::failed:
      outcome = m_console.paint_out(Tone::bad, attempt.status != 0 ? std::to_string(attempt.status) : "failed");
      outcome += " (not retried)";
      break;
    case store::ForwardState::dead:
      outcome = m_console.paint_out(Tone::bad, fmt::format("dead-lettered after {} attempts", attempt.number));
      break;
    case store::ForwardState::pending:
      outcome = m_console.paint_out(Tone::warn, fmt::format("attempt {} failed, retrying", attempt.number));
      break;
  }
  std::string line = fmt::format("{}    -> {}  {}  {}", clock_time(attempt.started_at_ms), safe(forward.target),
                                 outcome, latency_text(attempt.latency_us));
  if (!attempt.error.empty()) line += "  " + safe(attempt.error);
  if (!attempt.response_excerpt.empty()) {
    line += "  " + m_console.paint_out(Tone::dim, text::excerpt(attempt.response_excerpt, 60));
  }
  m_console.data_line(line);
  std::fflush(stdout);
}

void ListenRenderer::on_target_down(const std::string& target, const std::string& error, std::int64_t waiting) {
  std::lock_guard lock(m_mutex);
  if (m_options.json) {
    m_console.data_line(
        line_of(json{{"event", "target_down"}, {"target", target}, {"error", error}, {"waiting", waiting}}));
    std::fflush(stdout);
    return;
  }
  m_console.warn(fmt::format("{} unreachable: {}; {} waiting", safe(target), safe(error), waiting));
}

void ListenRenderer::on_target_up(const std::string& target, std::int64_t waiting) {
  std::lock_guard lock(m_mutex);
  if (m_options.json) {
    m_console.data_line(line_of(json{{"event", "target_up"}, {"target", target}, {"waiting", waiting}}));
    std::fflush(stdout);
    return;
  }
  m_console.info(fmt::format("ctg: {} is answering again; {} waiting", safe(target), waiting));
}

}  // namespace ctg::output
