// ctg::signing::detail — internals shared by signature.cpp and diagnosis.cpp. Not part of the
// module's contract: other modules and apps/ include signature.hpp only. All functions are pure
// and thread-safe; none throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctg/signing/signature.hpp"

namespace ctg::signing::detail {

// The prefix of Contiguity (and Standard Webhooks) secrets.
inline constexpr std::string_view k_secret_prefix = "whsec_";

// A configured secret worth checking (verify() skips empty ones) and its index in the caller's list.
struct Secret {
  std::size_t index = 0;
  std::string_view value;
};

// Returns hex(HMAC-SHA256(key, t_text + "." + body + suffix)), lowercase, streamed: the body is
// never copied. Returns an empty string if OpenSSL fails.
std::string digest_hex(std::string_view key, std::string_view t_text, std::string_view body,
                       std::string_view suffix = {});

// Overwrites `bytes` with zeros in a way the compiler may not leave out (OPENSSL_cleanse), for
// copies of secrets and keys derived from them before their memory is given back.
void wipe(std::string& bytes);

// Returns the index of the first candidate equal to `computed`, or nullopt. Every candidate is
// compared (no early exit), each with CRYPTO_memcmp; anything not 64 characters long never matches.
std::optional<std::size_t> find_match(std::string_view computed, std::span<const std::string> candidates);

// When 0 < tolerance < |skew|: timestamp_too_old with "timestamp is <skew> s too old (tolerance
// <tolerance> s)", or timestamp_too_new with "timestamp is <-skew> s in the future (tolerance
// <tolerance> s)". Otherwise nullopt (a tolerance of 0 or less disables the window).
// REQUIRES: skew > INT64_MIN.
std::optional<std::pair<Outcome, std::string>> window_violation(std::int64_t skew, std::int64_t tolerance);

// Decodes RFC 4648 §4 base64 ("+/" alphabet), padding optional. Returns nullopt on a character
// outside the alphabet, on '=' anywhere but the end, on more than two '=', on padding that does
// not complete a 4-character group, or on an impossible length (4n+1 characters).
std::optional<std::string> decode_base64(std::string_view in);

// Returns a hint for each usual mistake that would have made some (secret, v1) pair match, most
// likely first: uppercase v1; trailing whitespace added to / removed from the body; the JSON
// re-serialised (compact or 2-space indent, streamed through the HMACs by reserialise_json();
// skipped for bodies over 1 MiB, nested deeper than 64, with a repeated key, or whose form would
// exceed 8 times the body, at least 64 KiB, at most 8 MiB); the part after `whsec_` base64-decoded;
// the prefix dropped; the prefix added; and t being outside the window as well. Hints never
// contain a secret. Time and memory are linear in the size of the body (times the secrets).
std::vector<std::string> diagnose_mismatch(std::span<const Secret> secrets, const ParsedHeader& parsed,
                                           std::string_view body, std::int64_t skew, std::int64_t tolerance);

}  // namespace ctg::signing::detail
