// ctg::sendtest — sends the cases over one keep-alive connection and judges each answer: the
// expected status, no redirect (a webhook sender never follows one), within the latency budget.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctg/net/http_client.hpp"
#include "ctg/net/url.hpp"
#include "ctg/sendtest/cases.hpp"

namespace ctg::sendtest {

enum class Verdict {
  passed,
  failed,   // an answer that breaks an expectation, a timeout, a broken answer
  skipped,  // not sent (Case::skipped says why)
  error,    // could not be sent at all: DNS, connect, TLS
};

std::string_view to_string(Verdict verdict);  // "passed", "failed", "skipped", "error"

struct Exchange {
  std::string event_id;
  int status = 0;                       // 0 when no answer came
  std::chrono::microseconds latency{0};
  std::string excerpt;                  // the first bytes of the answer body, on one line
  std::string location;                 // of a redirect
  std::optional<net::Failure> failure;  // why no answer came
};

struct CaseResult {
  Verdict verdict = Verdict::passed;
  std::string message;  // why it failed, was skipped or could not run; empty when passed
  std::vector<Exchange> exchanges;
  std::chrono::microseconds latency{0};  // the slowest exchange
};

struct RunOptions {
  net::ClientOptions client;
  std::chrono::milliseconds max_latency{2000};
};

class Runner {
 public:
  // Errors: those of net::Client::create (an unreadable --ca-file, ...).
  static Result<std::unique_ptr<Runner>> create(const net::Url& url, const RunOptions& options);
  CaseResult run(const Case& c);

 private:
  Runner(net::Url url, RunOptions options, std::unique_ptr<net::Client> client);
  net::Url m_url;
  RunOptions m_options;
  std::unique_ptr<net::Client> m_client;
};

}  // namespace ctg::sendtest
