#include "ctg/output/journal_view.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/events/event.hpp"
#include "ctg/output/listen_renderer.hpp"

namespace ctg::output {

namespace {

using json = nlohmann::ordered_json;

json nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// Journaled requests may hold bytes that are not UTF-8 (in a path, a header, a rejection message
// quoting them, a target's answer): they become U+FFFD instead of throwing. What JSON leaves raw
// but a terminal obeys (C1 controls, DEL, bidirectional overrides) is escaped as \uHHHH.
std::string text_of(const json& value, int indent = -1) {
  return text::json_terminal_safe(value.dump(indent, ' ', false, json::error_handler_t::replace));
}

// Journal text (all of it came with a request or from a forward target) as it may reach a terminal.
std::string safe(std::string_view s) {
  return text::terminal_safe(s);
}

std::string forward_summary(const std::vector<store::Forward>& forwards) {
  std::string out;
  for (const auto& f : forwards) {
    if (!out.empty()) out += ", ";
    out += store::to_string(f.state);
    if (f.last_status != 0) out += fmt::format(" {}", f.last_status);
  }
  return out.empty() ? "-" : out;
}

json delivery_json(const store::Delivery& d, bool with_body) {
  json headers = json::array();
  for (const auto& [name, value] : d.headers) headers.push_back({name, value});
  json out{{"id", d.id},
           {"received_at", iso_time(d.received_at_ms)},
           {"peer", d.peer},
           {"method", d.method},
           {"path", d.path},
           {"status", d.status},
           {"type", nullable(d.event_type)},
           {"event_id", nullable(d.event_id)},
           {"verification", nullable(d.verification)},
           {"verification_message", nullable(d.verification_message)},
           {"rejection", nullable(d.rejection)},
           {"duplicate", d.duplicate},
           {"duration_us", d.duration_us},
           {"body_length", d.body_length}};
  // Only a prefix of a rejected or incomplete request's body is kept: how much of it is here.
  if (d.body_length > d.body.size()) out["body_stored"] = d.body.size();
  if (with_body) {
    out["headers"] = headers;
    if (text::find_invalid_utf8(d.body)) {
      out["body"] = nullptr;
      out["body_bytes"] = d.body.size();
    } else {
      out["body"] = d.body;
    }
  }
  return out;
}

}  // namespace

void JournalView::list_table(const std::vector<store::Delivery>& deliveries) {
  if (deliveries.empty()) {
    m_console.info("no deliveries match");
    return;
  }
  m_console.data_line(m_console.paint_out(
      Tone::bold, fmt::format("{:>6}  {:<24}  {:>6}  {:<40}  {:<22}  {}", "ID", "RECEIVED", "STATUS", "TYPE",
                              "EVENT ID", "FORWARDS")));
  for (const auto& d : deliveries) {
    auto forwards = m_journal.forwards_of(d.id);
    std::string status = std::to_string(d.status);
    if (d.duplicate) status += "*";
    const std::string_view type = d.event_type.empty() ? std::string_view(d.rejection).substr(0, d.rejection.find(':'))
                                                       : std::string_view(d.event_type);
    m_console.data_line(fmt::format("{:>6}  {:<24}  {:>6}  {:<40}  {:<22}  {}", d.id, iso_time(d.received_at_ms),
                                    status, safe(type), d.event_id.empty() ? "-" : safe(d.event_id),
                                    forwards ? forward_summary(*forwards) : "?"));
  }
}

void JournalView::list_json(const std::vector<store::Delivery>& deliveries) {
  json out = json::array();
  for (const auto& d : deliveries) {
    auto row = delivery_json(d, false);
    json forwards = json::array();
    if (auto f = m_journal.forwards_of(d.id)) {
      for (const auto& fw : *f) forwards.push_back({{"target", fw.target}, {"state", store::to_string(fw.state)}});
    }
    row["forwards"] = forwards;
    out.push_back(std::move(row));
  }
  m_console.data_line(text_of(out, 2));
}

void JournalView::show_json(const store::Delivery& d) {
  auto out = delivery_json(d, true);
  json forwards = json::array();
  if (auto list = m_journal.forwards_of(d.id)) {
    for (const auto& fw : *list) {
      json attempts = json::array();
      if (auto a = m_journal.attempts_of(fw.id)) {
        for (const auto& at : *a) {
          attempts.push_back({{"number", at.number},
                              {"started_at", iso_time(at.started_at_ms)},
                              {"status", at.status == 0 ? json(nullptr) : json(at.status)},
                              {"latency_us", at.latency_us},
                              {"error", nullable(at.error)},
                              {"response_excerpt", at.response_excerpt},
                              {"next_attempt_at",
                               at.next_attempt_at_ms == 0 ? json(nullptr) : json(iso_time(at.next_attempt_at_ms))}});
        }
      }
      forwards.push_back({{"target", fw.target},
                          {"state", store::to_string(fw.state)},
                          {"attempts", attempts}});
    }
  }
  out["forwards"] = forwards;
  m_console.data_line(text_of(out, 2));
}

void JournalView::show_text(const store::Delivery& d) {
  // Every value but the numbers and times came with the request: shown through terminal_safe.
  const auto line = [&](std::string_view label, const std::string& value) {
    m_console.data_line(fmt::format("{:<14}{}", m_console.paint_out(Tone::bold, std::string(label)), value));
  };
  line("delivery", std::to_string(d.id));
  line("received", fmt::format("{} from {}", iso_time(d.received_at_ms), safe(d.peer)));
  line("request", fmt::format("{} {}", safe(d.method), safe(d.path)));
  line("answered", fmt::format("{}{} in {} us", d.status, d.duplicate ? " (duplicate)" : "", d.duration_us));
  if (!d.event_type.empty()) line("event", fmt::format("{} {}", safe(d.event_type), safe(d.event_id)));
  line("signature",
       d.verification.empty()
           ? "-"
           : safe(d.verification) + (d.verification_message.empty() ? "" : ": " + safe(d.verification_message)));
  if (!d.rejection.empty()) line("rejected", safe(d.rejection));
  if (d.body_length > d.body.size()) {
    line("body", fmt::format("{} bytes, of which the first {} were kept", d.body_length, d.body.size()));
  }
  m_console.data_line("");
  for (const auto& [name, value] : d.headers) m_console.data_line(fmt::format("{}: {}", safe(name), safe(value)));
  m_console.data_line("");
  if (text::find_invalid_utf8(d.body)) {
    m_console.data_line(fmt::format("({} bytes, not UTF-8)", d.body.size()));
  } else if (auto event = events::parse_event(d.body)) {
    // The encoder escapes C0 controls; json_terminal_safe the rest, and the JSON stays valid.
    m_console.data_line(text::json_terminal_safe(event->json().dump(2)));
  } else {
    m_console.data_line(text::terminal_safe(d.body, text::LineBreaks::keep));
  }
  auto forwards = m_journal.forwards_of(d.id);
  if (!forwards || forwards->empty()) return;
  m_console.data_line("");
  for (const auto& fw : *forwards) {
    m_console.data_line(fmt::format("forward to {}: {}", safe(fw.target), store::to_string(fw.state)));
    auto attempts = m_journal.attempts_of(fw.id);
    if (!attempts) continue;
    for (const auto& at : *attempts) {
      std::string result = at.status != 0 ? std::to_string(at.status) : safe(at.error);
      m_console.data_line(fmt::format("  attempt {}  {}  {}  {} us{}", at.number, iso_time(at.started_at_ms), result,
                                      at.latency_us,
                                      at.next_attempt_at_ms != 0 ? "  retry at " + iso_time(at.next_attempt_at_ms)
                                                                 : ""));
    }
  }
}

void JournalView::replay_line(const store::Delivery& d, const listen::ReplayResult& result, bool as_json) {
  if (as_json) {
    json out{{"delivery_id", d.id}, {"event_id", nullable(d.event_id)}, {"type", nullable(d.event_type)}};
    if (result.outcome) {
      out["status"] = result.outcome->status;
      out["latency_us"] = result.outcome->latency.count();
      out["error"] = nullptr;
    } else {
      out["status"] = nullptr;
      out["latency_us"] = result.outcome.error().latency.count();
      out["error"] = result.outcome.error().message;
    }
    m_console.data_line(text_of(out));
    return;
  }
  std::string outcome;
  if (result.outcome) {
    const int status = result.outcome->status;
    outcome = m_console.paint_out(status >= 200 && status < 300 ? Tone::good : Tone::bad, std::to_string(status));
    outcome += fmt::format("  {:.1f} ms", static_cast<double>(result.outcome->latency.count()) / 1000.0);
    if (result.outcome->is_redirect()) {
      outcome +=
          fmt::format("  redirected to {} (not followed)", safe(result.outcome->header("Location").value_or("?")));
    }
  } else {
    outcome = m_console.paint_out(Tone::bad, safe(result.outcome.error().message));
  }
  m_console.data_line(fmt::format("replayed {} {} {}  {}", d.id, d.event_type.empty() ? "-" : safe(d.event_type),
                                  d.event_id.empty() ? "-" : safe(d.event_id), outcome));
}

}  // namespace ctg::output
