#include "ctg/sendtest/runner.hpp"

#include <fmt/format.h>

#include "ctg/core/text.hpp"

namespace ctg::sendtest {

namespace {

constexpr std::size_t k_excerpt_chars = 80;

std::string millis(std::chrono::microseconds us) {
  return fmt::format("{:.1f} ms", static_cast<double>(us.count()) / 1000.0);
}

// Transport failures that mean the endpoint cannot be reached at all, as opposed to a receiver
// that answers too slowly or badly.
bool unreachable(const net::Failure& failure) {
  return failure.kind == net::FailureKind::dns || failure.kind == net::FailureKind::connect ||
         failure.kind == net::FailureKind::tls;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::passed:
      return "passed";
    case Verdict::failed:
      return "failed";
    case Verdict::skipped:
      return "skipped";
    case Verdict::error:
      return "error";
  }
  return "error";
}

Result<std::unique_ptr<Runner>> Runner::create(const net::Url& url, const RunOptions& options) {
  net::ClientOptions client_options = options.client;
  client_options.max_body_kept = 4096;
  auto client = net::Client::create(url, client_options);
  if (!client) return std::unexpected(client.error());
  return std::unique_ptr<Runner>(new Runner(url, options, std::move(*client)));
}

Runner::Runner(net::Url url, RunOptions options, std::unique_ptr<net::Client> client)
    : m_url(std::move(url)), m_options(std::move(options)), m_client(std::move(client)) {}

CaseResult Runner::run(const Case& c) {
  CaseResult result;
  if (!c.skipped.empty()) {
    result.verdict = Verdict::skipped;
    result.message = c.skipped;
    return result;
  }
  for (std::size_t i = 0; i < c.requests.size(); ++i) {
    const auto& request = c.requests[i];
    // "the second delivery: " where a case sends more than one.
    const std::string which = c.requests.size() > 1 ? fmt::format("delivery {} of {}: ", i + 1, c.requests.size()) : "";
    Exchange exchange;
    exchange.event_id = request.event_id;
    auto answer = m_client->send("POST", m_url.target, request.headers, request.body);
    if (!answer) {
      exchange.failure = answer.error();
      exchange.latency = answer.error().latency;
      result.latency = std::max(result.latency, exchange.latency);
      result.verdict = unreachable(answer.error()) ? Verdict::error : Verdict::failed;
      result.message = which + answer.error().message;
      result.exchanges.push_back(std::move(exchange));
      return result;
    }
    exchange.status = answer->status;
    exchange.latency = answer->latency;
    exchange.excerpt = text::excerpt(answer->body, k_excerpt_chars);
    if (answer->is_redirect()) exchange.location = answer->header("Location").value_or("");
    result.latency = std::max(result.latency, exchange.latency);
    result.exchanges.push_back(exchange);
    if (result.verdict != Verdict::passed) continue;
    if (answer->is_redirect()) {
      result.verdict = Verdict::failed;
      result.message = which + (exchange.location.empty()
                                    ? fmt::format("answered {}, a redirect without a Location", exchange.status)
                                    : fmt::format("answered {}, a redirect to {}; webhook senders do not follow "
                                                  "redirects: register the final URL",
                                                  exchange.status, text::excerpt(exchange.location, 200)));
    } else if (!c.expect.matches(exchange.status)) {
      result.verdict = Verdict::failed;
      result.message = which + fmt::format("expected {}, got {}", c.expect.describe(), exchange.status);
    } else if (exchange.latency > m_options.max_latency) {
      result.verdict = Verdict::failed;
      result.message = which + fmt::format("answered {} in {}, over the latency budget of {} ms", exchange.status,
                                           millis(exchange.latency), m_options.max_latency.count());
    }
  }
  return result;
}

}  // namespace ctg::sendtest
