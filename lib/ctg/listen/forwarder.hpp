// ctg::listen — forwarding: delivers journaled events to the developer's app, durably.
//
// The queue lives in the journal (store::Forward rows), so pending forwards survive a restart and
// resume with the same store. One worker thread per target takes only the head of that target's
// queue (oldest delivery first): events reach each target in the order they were received, one
// in flight per target; targets proceed independently. The raw body goes byte-for-byte with the
// original Contiguity-Signature and Content-Type, plus X-Ctg-Delivery-Id and the extra headers.
//
// Retries: connection errors, timeouts, 5xx, 408 and 429 are retried with exponential backoff and
// full jitter (Retry-After honoured, bounded by max_delay); other 4xx and 3xx (redirects are never
// followed) fail at once; after max_attempts the forward is dead-lettered. Nothing is dropped:
// every end state is journaled and reported.
//
// Threading: start() spawns the workers; notify() may be called from any thread (the receiver
// calls it after each append); stop() returns once every worker has finished its current attempt.
// start() and stop() are called from the owner's thread.
//
// Target health: a connection failure, a timeout or a 5xx marks a target down (on_target_down once,
// at start or after it answered); any other answer from a target that was down marks it up again.
// An extra header replaces a forwarded header of the same name (Content-Type included).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/core/error.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/store/journal.hpp"

namespace ctg::listen {

struct ForwardTarget {
  std::string url;                   // "http://localhost:8080/sms"
  std::vector<std::string> events;   // globs ("text.*"); empty = every event type
  net::HeaderList headers;           // extra headers (-H 'K: V')
};

struct RetryPolicy {
  int max_attempts = 8;                                  // then dead-lettered
  std::chrono::milliseconds base_delay{500};             // first retry after ~base (full jitter)
  std::chrono::milliseconds max_delay{60000};            // cap on any one wait, Retry-After included
};

struct ForwarderOptions {
  std::vector<ForwardTarget> targets;
  RetryPolicy retry;
  net::ClientOptions client;         // timeouts, --insecure, --ca-file
};

// What the forwarder tells the renderer. Called from worker threads; implementations serialise.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  // One attempt finished (answer or failure) and was journaled. `forward` carries the state after
  // the attempt. `final_state` is pending when a retry is scheduled.
  virtual void on_attempt(const store::Delivery& delivery, const store::Forward& forward,
                          const store::Attempt& attempt, store::ForwardState final_state) = 0;
  // A target stopped answering (first failure after success or at start): one line, not a flood.
  virtual void on_target_down(const std::string& target, const std::string& error, std::int64_t waiting) = 0;
  // A target that was down answered again.
  virtual void on_target_up(const std::string& target, std::int64_t waiting) = 0;
};

// Delay before retry `attempt` + 1 (attempt >= 1): uniform in [0, min(max, base * 2^(attempt-1))],
// or the Retry-After value (capped at max) when the answer carried one. `random01` is in [0, 1).
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<std::chrono::milliseconds> retry_after, double random01);

// Parses a Retry-After value: delta seconds ("120") or an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT")
// relative to `now_unix`. nullopt when unparseable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_unix);

// Whether an answer (status) or a failure should be retried.
bool is_retryable_status(int status);

// The targets whose event globs match `event_type` (an empty type, for unparsed bodies, matches none).
std::vector<std::string> targets_for(const std::vector<ForwardTarget>& targets, std::string_view event_type);

class Forwarder {
 public:
  // REQUIRES: journal and observer outlive the Forwarder. Errors: a target URL that does not parse
  // or is given twice (usage), an unreadable ca_file.
  static Result<std::unique_ptr<Forwarder>> create(store::Journal& journal, ForwarderOptions options,
                                                   ForwardObserver& observer);
  ~Forwarder();  // stop()

  // One worker per target; picks up forwards left pending by an earlier run (those of targets no
  // longer configured stay pending). A second start() is a no-op.
  void start();
  void notify();  // new forwards were appended: wake idle workers
  void stop();    // finish the attempts in flight, then return; pending forwards stay pending

 private:
  struct Impl;
  explicit Forwarder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ctg::listen
