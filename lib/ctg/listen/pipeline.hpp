// ctg::listen — what the receiver answers to one request, decided without any I/O.
//
// Order (the platform's contract, and what the conformance suite of `send-test` checks):
//   method (POST only: 405 with Allow) -> path (404) -> body size (413) -> signature (401)
//   -> JSON and envelope (400) -> accepted (200 {"received":true,"id":"evt_..."}).
// With no secret configured every signature is accepted and marked "unverified".
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/core/clock.hpp"
#include "ctg/events/event.hpp"
#include "ctg/signing/signature.hpp"
#include "ctg/store/journal.hpp"

namespace ctg::listen {

inline constexpr std::size_t k_default_max_body = 1024 * 1024;

struct ReceiverPolicy {
  std::string path = "/contiguity/webhook";
  std::vector<std::string> secrets;        // empty: accept unsigned, mark "unverified"
  std::int64_t tolerance_seconds = 300;    // 0 disables the timestamp window
  std::size_t max_body = k_default_max_body;
  // Whether a signature mismatch is diagnosed in judge_body (Verdict::hints). The receiver says
  // no: the diagnoses hash the body a dozen times more, so it runs them on its display thread.
  signing::Diagnose diagnose = signing::Diagnose::yes;
};

struct Verdict {
  int status = 200;
  std::string answer;                      // the JSON answer body
  std::string allow;                       // the Allow header value for 405; empty otherwise
  std::string verification;                // "valid", "unverified", a signing outcome; empty if not reached
  std::string verification_message;
  std::vector<std::string> hints;          // verify's diagnoses, for the developer's display
  std::string rejection;                   // "<code>: <message>"; empty when accepted
  std::optional<events::EventHead> event;  // the envelope, when the body is a valid event

  bool accepted() const { return status >= 200 && status < 300; }
};

// The first stage, before the body is read: method, path, declared Content-Length.
// Returns the rejection, or nullopt to go on reading the body.
std::optional<Verdict> check_head(std::string_view method, std::string_view path,
                                  std::optional<std::uint64_t> content_length, const ReceiverPolicy& policy);

// The second stage, with the body read in full. `signature` is the Contiguity-Signature value
// (empty when absent).
Verdict judge_body(std::string_view body, std::string_view signature, const ReceiverPolicy& policy, UnixSeconds now);

// A rejection with `status`, a machine code ("body_too_large") and a message for the answer.
Verdict reject(int status, std::string_view code, std::string_view message);

// The answer to an accepted event: {"received":true,"id":"evt_..."} (+ "duplicate":true).
std::string accepted_answer(std::string_view event_id, bool duplicate);

}  // namespace ctg::listen
