// ctg::sendtest — the requests `ctg send-test` sends: one case per event type by default, or the
// conformance suite, each request with a fresh event id and timestamp, signed as the platform
// signs (platform.md §3) and marked as test traffic.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ctg/core/clock.hpp"
#include "ctg/core/error.hpp"
#include "ctg/events/fixtures.hpp"
#include "ctg/sendtest/expectation.hpp"

namespace ctg::sendtest {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view k_test_header = "X-Ctg-Test";

// A body to send, before it gets its fresh id and timestamp.
struct Payload {
  std::string type;    // the event type it carries
  std::string body;    // JSON text: a fixture, a --fixture file, a journaled delivery
  std::string source;  // for messages: "fixture text.incoming.sms.json", "file x.json", "journal delivery 12"
};

struct TestRequest {
  std::string event_id;  // empty for legacy v1 bodies
  std::string body;
  HeaderList headers;    // Content-Type, Contiguity-Signature (when signed), X-Ctg-Test, -H
};

struct Case {
  std::string suite;  // "send-test" or "conformance"
  std::string name;   // "text.incoming.sms", "tampered body"
  std::string type;   // the event type sent
  std::string what;   // one line on what is sent
  std::string risk;   // one line on what it means when the case fails
  std::vector<TestRequest> requests;  // a duplicate delivery sends two
  StatusExpectation expect;
  std::string skipped;  // non-empty: not sent, and why
};

struct PlanOptions {
  std::optional<std::string> secret;  // signs every request; none: unsigned
  bool test_header = true;            // X-Ctg-Test: true
  HeaderList extra_headers;           // -H, added to every request
  std::vector<events::Override> overrides;
  UnixSeconds now = 0;
  StatusExpectation expect;           // what the sample cases expect
};

// The embedded fixture of every current type whose name matches one of `globs` (all current
// types when `globs` is empty), in catalog order. Usage error for a glob that matches none (with
// a suggestion when it is close to a type name).
Result<std::vector<Payload>> fixture_payloads(std::span<const std::string> globs);

// A Payload from a JSON file's text (`--fixture`): it must parse as an event. Usage error naming
// the file and the line and column of a syntax error.
Result<Payload> file_payload(std::string_view path, std::string_view content);

// One case per payload, each expecting `options.expect`.
Result<std::vector<Case>> sample_cases(std::span<const Payload> payloads, const PlanOptions& options);

// The conformance suite: genuine deliveries accepted, forged ones refused, repeats and unknown
// types acknowledged, then every payload's type accepted. `probe` is the payload the signature
// cases alter. Without a secret the cases that need one are skipped, saying so.
Result<std::vector<Case>> conformance_cases(const Payload& probe, std::span<const Payload> payloads,
                                            const PlanOptions& options);

}  // namespace ctg::sendtest
