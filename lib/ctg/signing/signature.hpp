// ctg::signing — Contiguity webhook signatures (platform.md §4).
//
//   Contiguity-Signature: t=<unix seconds>,v1=<64 lowercase hex>
//   v1 = hex(HMAC-SHA256(key = secret as UTF-8 bytes, message = t + "." + raw body))
//
// The secret is used as-is, `whsec_` prefix included; it is never base64-decoded. Verification
// accepts several secrets (rotation) and several v1 values, compares in constant time, and on
// failure names the reason and diagnoses the usual mistakes. All functions are pure (time comes in
// as `now`) and thread-safe. Secrets never appear in any returned message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/core/clock.hpp"
#include "ctg/core/error.hpp"

namespace ctg::signing {

inline constexpr std::string_view k_header_name = "Contiguity-Signature";
inline constexpr std::int64_t k_default_tolerance_seconds = 300;

// Incremental HMAC-SHA256, for bodies of any size (streamed from stdin in chunks).
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  void update(std::string_view bytes);
  // Returns the 64-character lowercase hex digest. Call once.
  std::string finish_hex();

 private:
  struct Impl;
  Impl* m_impl;
};

// Returns hex(HMAC-SHA256(secret, std::to_string(timestamp) + "." + body)), lowercase.
std::string compute_v1(std::string_view secret, UnixSeconds timestamp, std::string_view body);

// Returns the header value "t=<timestamp>,v1=<hex>".
std::string sign(std::string_view secret, UnixSeconds timestamp, std::string_view body);

// A parsed Contiguity-Signature header.
struct ParsedHeader {
  std::string timestamp_text;     // the t value exactly as written (the HMAC covers it verbatim)
  UnixSeconds timestamp = 0;
  std::vector<std::string> v1;    // every v1 value, in order, as written
  std::vector<std::string> notes; // leniencies taken (spaces around parts, unknown keys) for hints
};

// Parses "t=...,v1=...[,v1=...]". Unknown keys (v0, ...) are ignored and noted. On failure the
// error (kind invalid_input) says precisely what is malformed: "no t= part", "t is not an integer:
// \"abc\"", "v1 must be 64 hex characters, got 12", "no v1= part", "empty header", ...
Result<ParsedHeader> parse_header(std::string_view header);

enum class Outcome {
  valid,
  header_missing,      // no header, or an empty one
  header_malformed,    // see message
  no_secret,           // no secret was given, nothing to verify against
  signature_mismatch,  // no v1 matched any secret
  timestamp_too_old,   // signature matched, but t is older than now - tolerance
  timestamp_too_new,   // signature matched, but t is newer than now + tolerance
};

// The stable machine name of an outcome: "valid", "header_missing", "header_malformed",
// "no_secret", "signature_mismatch", "timestamp_too_old", "timestamp_too_new".
std::string_view to_string(Outcome outcome);

// Whether a mismatch is diagnosed (Verification::hints). The diagnoses hash the body a dozen more
// times; a server that must answer at once leaves them out and runs them later, off its request
// path, by verifying again with Diagnose::yes.
enum class Diagnose { yes, no };

struct VerifyOptions {
  // Maximum |now - t| in seconds; 0 disables the timestamp check. Default 300.
  std::int64_t tolerance_seconds = k_default_tolerance_seconds;
  Diagnose diagnose = Diagnose::yes;  // Diagnose::no: a mismatch costs one HMAC per secret, no hints
};

struct Verification {
  Outcome outcome = Outcome::header_missing;
  std::string message;             // one sentence: "timestamp is 412 s too old (tolerance 300 s)"
  std::vector<std::string> hints;  // diagnoses of likely mistakes, most likely first; may be empty
  std::optional<UnixSeconds> timestamp;     // t, when the header parsed
  std::optional<std::size_t> secret_index;  // which secret matched, when one did
  std::int64_t skew_seconds = 0;            // now - t, when the header parsed

  bool valid() const { return outcome == Outcome::valid; }
};

// Verifies `header` (the Contiguity-Signature value; empty when absent) for `body`.
// Order: header present -> parses -> a secret is known -> some (secret, v1) pair matches in
// constant time -> |now - t| <= tolerance. On signature_mismatch, `hints` names each usual
// mistake that would have matched: the body differs by trailing newline/whitespace; the JSON was
// re-serialised; the signer base64-decoded the part after `whsec_` (Standard Webhooks/Svix
// style); the signer dropped (or added) the `whsec_` prefix; v1 is uppercase hex (the official
// SDK rejects it); and, when t is also outside the window, that too. Work is linear in the size of
// the body (with Diagnose::no, one HMAC per secret).
Verification verify(std::string_view header, std::span<const std::string> secrets, std::string_view body,
                    UnixSeconds now, const VerifyOptions& options = {});

}  // namespace ctg::signing
