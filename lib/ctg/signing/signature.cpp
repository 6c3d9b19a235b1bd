// Contiguity-Signature: HMAC-SHA256 over `t + "." + body`, header parsing and verification.
//
// OpenSSL stays in this file. Every comparison of a candidate v1 against a computed digest goes
// through CRYPTO_memcmp; lengths are public (always 64 after parsing) and are checked first. The
// diagnoses run on a mismatch live in diagnosis.cpp.
#include "ctg/signing/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ctg/core/text.hpp"
#include "ctg/signing/diagnosis.hpp"

namespace ctg::signing {

// ---------------------------------------------------------------------------------------------
// HmacSha256

namespace {

constexpr std::size_t k_block = 64;   // SHA-256's block, HMAC's key size
constexpr std::size_t k_digest = 32;

// SHA-256, fetched once: looking the algorithm up in OpenSSL's provider tables costs more than
// hashing a webhook body. EVP_MD objects are reference-counted and safe to share between
// threads; this one lives as long as the process.
const EVP_MD* sha256() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, OSSL_DIGEST_NAME_SHA2_256, nullptr);
  return algorithm;
}

// HMAC (RFC 2104) split at its key: SHA-256 states that have absorbed key XOR ipad and key XOR
// opad. A copy of `inner` is ready for the message; a copy of `outer` for the inner digest. This
// is HMAC as OpenSSL computes it, without setting up a MAC context (several allocations and a
// provider look-up) for every message.
struct KeyState {
  EVP_MD_CTX* inner = EVP_MD_CTX_new();
  EVP_MD_CTX* outer = EVP_MD_CTX_new();
  bool ok = false;

  explicit KeyState(std::string_view key) {
    const EVP_MD* md = sha256();
    if (md == nullptr || inner == nullptr || outer == nullptr) return;
    std::array<unsigned char, k_block> block{};  // the key, zero-padded; hashed first when longer
    if (key.size() > k_block) {
      unsigned int length = 0;
      if (EVP_Digest(key.data(), key.size(), block.data(), &length, md, nullptr) != 1) return;
    } else {
      std::copy(key.begin(), key.end(), block.begin());
    }
    std::array<unsigned char, k_block> pad{};
    for (std::size_t i = 0; i < k_block; ++i) pad[i] = block[i] ^ 0x36u;
    ok = EVP_DigestInit_ex2(inner, md, nullptr) == 1 && EVP_DigestUpdate(inner, pad.data(), pad.size()) == 1;
    for (std::size_t i = 0; i < k_block; ++i) pad[i] = block[i] ^ 0x5Cu;
    ok = ok && EVP_DigestInit_ex2(outer, md, nullptr) == 1 && EVP_DigestUpdate(outer, pad.data(), pad.size()) == 1;
    OPENSSL_cleanse(block.data(), block.size());
    OPENSSL_cleanse(pad.data(), pad.size());
  }
  ~KeyState() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
  }
  KeyState(const KeyState&) = delete;
  KeyState& operator=(const KeyState&) = delete;
};

// A copy of a key that is wiped (OPENSSL_cleanse) before its memory is given back.
class KeyCopy {
 public:
  explicit KeyCopy(std::string_view key) : m_bytes(key) {}
  ~KeyCopy() { OPENSSL_cleanse(m_bytes.data(), m_bytes.size()); }
  KeyCopy(const KeyCopy&) = delete;
  KeyCopy& operator=(const KeyCopy&) = delete;
  bool equals(std::string_view key) const {
    return m_bytes.size() == key.size() && CRYPTO_memcmp(m_bytes.data(), key.data(), key.size()) == 0;
  }

 private:
  std::string m_bytes;
};

// This thread's states for the last few keys: a receiver uses the same one or two secrets for
// every request. Shared, so that a state evicted here lives on in the HMACs still using it. The
// keys kept are wiped when evicted and when the thread ends; the SHA-256 states are freed by
// EVP_MD_CTX_free, which clears them.
class KeyStates {
 public:
  std::shared_ptr<const KeyState> for_key(std::string_view key) {
    for (const auto& entry : m_entries) {
      if (entry.key->equals(key)) return entry.state;
    }
    auto state = std::make_shared<const KeyState>(key);
    if (!state->ok) return state;  // an OpenSSL failure: tried afresh next time, not kept
    if (m_entries.size() == k_capacity) m_entries.erase(m_entries.begin());
    m_entries.push_back({std::make_unique<KeyCopy>(key), state});
    return state;
  }

 private:
  struct Entry {
    std::unique_ptr<KeyCopy> key;  // a pointer: a short key in a moved std::string would leave a copy behind
    std::shared_ptr<const KeyState> state;
  };
  static constexpr std::size_t k_capacity = 8;  // the secrets in rotation, and verify's diagnoses
  std::vector<Entry> m_entries;
};

}  // namespace

struct HmacSha256::Impl {
  std::shared_ptr<const KeyState> key;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();  // the inner hash, then the outer one
  bool ok = false;        // set up and no OpenSSL call has failed since
  bool finished = false;  // finish_hex() was called
};

HmacSha256::HmacSha256(std::string_view key) : m_impl(new (std::nothrow) Impl) {
  if (m_impl == nullptr) return;
  thread_local KeyStates states;
  try {
    m_impl->key = states.for_key(key);
  } catch (const std::bad_alloc&) {
    return;  // not ok: matches nothing
  }
  m_impl->ok = m_impl->ctx != nullptr && m_impl->key->ok && EVP_MD_CTX_copy_ex(m_impl->ctx, m_impl->key->inner) == 1;
}

HmacSha256::~HmacSha256() {
  if (m_impl == nullptr) return;
  EVP_MD_CTX_free(m_impl->ctx);
  delete m_impl;
}

void HmacSha256::update(std::string_view bytes) {
  if (m_impl == nullptr || !m_impl->ok || m_impl->finished || bytes.empty()) return;
  m_impl->ok = EVP_DigestUpdate(m_impl->ctx, bytes.data(), bytes.size()) == 1;
}

// On an OpenSSL failure (or a second call) returns an empty string, which matches no v1.
std::string HmacSha256::finish_hex() {
  if (m_impl == nullptr || !m_impl->ok || m_impl->finished) return {};
  m_impl->finished = true;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* ctx = m_impl->ctx;
  if (EVP_DigestFinal_ex(ctx, digest.data(), &length) != 1 || length != k_digest) return {};
  if (EVP_MD_CTX_copy_ex(ctx, m_impl->key->outer) != 1 || EVP_DigestUpdate(ctx, digest.data(), length) != 1 ||
      EVP_DigestFinal_ex(ctx, digest.data(), &length) != 1 || length != k_digest) {
    return {};
  }
  static constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out(2 * k_digest, '0');
  for (std::size_t i = 0; i < k_digest; ++i) {
    out[2 * i] = k_hex[static_cast<std::size_t>(digest[i] >> 4)];
    out[2 * i + 1] = k_hex[static_cast<std::size_t>(digest[i] & 0x0Fu)];
  }
  return out;
}

namespace {

constexpr std::size_t k_v1_length = 64;

bool equal_constant_time(std::string_view computed, std::string_view candidate) {
  if (computed.size() != k_v1_length || candidate.size() != k_v1_length) return false;
  return CRYPTO_memcmp(computed.data(), candidate.data(), k_v1_length) == 0;
}

}  // namespace

namespace detail {

std::string digest_hex(std::string_view key, std::string_view t_text, std::string_view body, std::string_view suffix) {
  HmacSha256 mac(key);
  mac.update(t_text);
  mac.update(".");
  mac.update(body);
  mac.update(suffix);
  return mac.finish_hex();
}

void wipe(std::string& bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

std::optional<std::size_t> find_match(std::string_view computed, std::span<const std::string> candidates) {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (equal_constant_time(computed, candidates[i]) && !found) found = i;
  }
  return found;
}

std::optional<std::pair<Outcome, std::string>> window_violation(std::int64_t skew, std::int64_t tolerance) {
  if (tolerance <= 0) return std::nullopt;
  if (skew > tolerance) {
    return std::pair{Outcome::timestamp_too_old,
                     fmt::format("timestamp is {} s too old (tolerance {} s)", skew, tolerance)};
  }
  if (skew < -tolerance) {
    return std::pair{Outcome::timestamp_too_new,
                     fmt::format("timestamp is {} s in the future (tolerance {} s)", -skew, tolerance)};
  }
  return std::nullopt;
}

}  // namespace detail

namespace {

using detail::diagnose_mismatch;
using detail::digest_hex;
using detail::find_match;
using detail::k_secret_prefix;
using detail::Secret;
using detail::window_violation;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (to_lower_ascii(s[i]) != to_lower_ascii(prefix[i])) return false;
  }
  return true;
}

// A header fragment quoted for a message: at most 32 code points, on one line.
std::string quoted(std::string_view s) {
  return fmt::format("\"{}\"", text::excerpt(s, 32));
}

// Parses an all-digit string into a non-negative int64; nullopt on overflow.
std::optional<UnixSeconds> parse_digits(std::string_view digits) {
  UnixSeconds value = 0;
  constexpr UnixSeconds k_max = std::numeric_limits<UnixSeconds>::max();
  for (char c : digits) {
    const int d = c - '0';
    if (value > (k_max - d) / 10) return std::nullopt;
    value = value * 10 + d;
  }
  return value;
}

}  // namespace

std::string compute_v1(std::string_view secret, UnixSeconds timestamp, std::string_view body) {
  return digest_hex(secret, std::to_string(timestamp), body);
}

std::string sign(std::string_view secret, UnixSeconds timestamp, std::string_view body) {
  return fmt::format("t={},v1={}", timestamp, compute_v1(secret, timestamp, body));
}

// ---------------------------------------------------------------------------------------------
// parse_header

Result<ParsedHeader> parse_header(std::string_view header) {
  const std::string_view whole = text::trim(header);
  if (whole.empty()) return fail(ErrorKind::invalid_input, "empty header");
  if (starts_with_ignoring_case(whole, "contiguity-signature:")) {
    return fail(ErrorKind::invalid_input,
                "the value includes the header name; pass only what follows \"Contiguity-Signature:\"");
  }

  ParsedHeader parsed;
  bool saw_t = false;
  bool noted_spaces = whole.size() != header.size();
  std::optional<std::size_t> t_part;
  bool v1_follows_t = false;

  const auto parts = text::split(whole, ',');
  for (std::size_t index = 0; index < parts.size(); ++index) {
    const std::string_view raw = parts[index];
    const std::string_view part = text::trim(raw);
    const std::size_t number = index + 1;
    if (part.empty()) {
      return fail(ErrorKind::invalid_input, fmt::format("part {} is empty (a stray comma)", number));
    }
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      // The part is not quoted: a secret pasted into the wrong place must not be echoed.
      return fail(ErrorKind::invalid_input, fmt::format("part {} is not key=value", number));
    }
    const std::string_view raw_key = part.substr(0, eq);
    const std::string_view raw_value = part.substr(eq + 1);
    const std::string_view key = text::trim(raw_key);
    const std::string_view value = text::trim(raw_value);
    if (part.size() != raw.size() || key.size() != raw_key.size() || value.size() != raw_value.size()) {
      noted_spaces = true;
    }

    if (key == "t") {
      if (saw_t) return fail(ErrorKind::invalid_input, "t appears more than once");
      saw_t = true;
      t_part = index;
      if (value.empty()) return fail(ErrorKind::invalid_input, "t is empty");
      const bool all_digits = std::all_of(value.begin(), value.end(), is_digit);
      if (!all_digits) {
        const bool negative =
            value.size() > 1 && value.front() == '-' && std::all_of(value.begin() + 1, value.end(), is_digit);
        if (negative) return fail(ErrorKind::invalid_input, fmt::format("t is negative: {}", quoted(value)));
        return fail(ErrorKind::invalid_input, fmt::format("t is not an integer: {}", quoted(value)));
      }
      const auto seconds = parse_digits(value);
      if (!seconds) return fail(ErrorKind::invalid_input, fmt::format("t is out of range: {}", quoted(value)));
      parsed.timestamp_text = std::string(value);
      parsed.timestamp = *seconds;
    } else if (key == "v1") {
      if (value.size() != k_v1_length) {
        return fail(ErrorKind::invalid_input, fmt::format("v1 must be 64 hex characters, got {}", value.size()));
      }
      const auto bad = std::find_if_not(value.begin(), value.end(), is_hex);
      if (bad != value.end()) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("v1 must be 64 hex characters, found a non-hex character at position {}",
                                bad - value.begin() + 1));
      }
      if (t_part && *t_part + 1 == index) v1_follows_t = true;
      parsed.v1.emplace_back(value);
    } else {
      parsed.notes.push_back(fmt::format("unknown key {} ignored", quoted(key)));
    }
  }

  if (!saw_t) return fail(ErrorKind::invalid_input, "no t= part");
  if (parsed.v1.empty()) return fail(ErrorKind::invalid_input, "no v1= part");

  if (noted_spaces) {
    parsed.notes.insert(parsed.notes.begin(),
                        "spaces around the header's parts were ignored; the official SDK accepts no spaces");
  }
  // The official SDK matches /t=(\d+),v1=([a-f0-9]+)/: the part right after t must be a v1.
  if (!v1_follows_t) {
    parsed.notes.push_back("v1 does not directly follow t; the official SDK only accepts \"t=...,v1=...\"");
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// verify

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::valid:
      return "valid";
    case Outcome::header_missing:
      return "header_missing";
    case Outcome::header_malformed:
      return "header_malformed";
    case Outcome::no_secret:
      return "no_secret";
    case Outcome::signature_mismatch:
      return "signature_mismatch";
    case Outcome::timestamp_too_old:
      return "timestamp_too_old";
    case Outcome::timestamp_too_new:
      return "timestamp_too_new";
  }
  return "unknown";
}

namespace {

// Replaces every occurrence of `needle` in `s`.
void replace_all(std::string& s, std::string_view needle, std::string_view replacement) {
  if (needle.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(needle, pos)) != std::string::npos) {
    s.replace(pos, needle.size(), replacement);
    pos += replacement.size();
  }
}

// Replaces each run of at least `min_run` characters of `s` that also appears in `secret` (a
// piece of a secret that a message quotes cut short, "t is not an integer: \"MfKQ9r8GKYqrTwjU…\"").
// Quadratic, but over a message or hint (an excerpt of the header) and a secret: a few hundred
// characters at most.
void replace_fragments(std::string& s, std::string_view secret, std::string_view replacement, std::size_t min_run) {
  if (secret.size() < min_run) return;
  for (std::size_t i = 0; i + min_run <= s.size();) {
    std::size_t longest = 0;
    for (std::size_t j = 0; j + min_run <= secret.size(); ++j) {
      std::size_t n = 0;
      while (i + n < s.size() && j + n < secret.size() && s[i + n] == secret[j + n]) ++n;
      longest = std::max(longest, n);
    }
    if (longest >= min_run) {
      s.replace(i, longest, replacement);
      i += replacement.size();
    } else {
      ++i;
    }
  }
}

// Defence in depth: no message or hint may carry a secret, even one pasted into the header, nor a
// piece of one long enough to matter (12 characters of a secret's random part).
void redact(Verification& result, std::span<const Secret> secrets) {
  constexpr std::string_view k_redacted = "<secret>";
  constexpr std::size_t k_min_tail = 8;   // shorter tails are too likely to be ordinary words
  constexpr std::size_t k_min_run = 12;   // a run this long of a secret's random part is no accident
  const auto scrub = [&](std::string& s) {
    for (const auto& secret : secrets) {
      replace_all(s, secret.value, k_redacted);
      const bool prefixed = secret.value.starts_with(k_secret_prefix);
      if (prefixed && secret.value.size() >= k_secret_prefix.size() + k_min_tail) {
        replace_all(s, secret.value.substr(k_secret_prefix.size()), k_redacted);
      }
      replace_fragments(s, prefixed ? secret.value.substr(k_secret_prefix.size()) : secret.value, k_redacted,
                        k_min_run);
    }
  };
  scrub(result.message);
  for (auto& hint : result.hints) scrub(hint);
}

std::int64_t saturating_difference(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) {
    out = a < b ? -std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::max();
  }
  // Keep -out representable for the "in the future" message.
  return std::max(out, -std::numeric_limits<std::int64_t>::max());
}

Verification verify_unguarded(std::string_view header, std::span<const Secret> secrets, std::string_view body,
                              UnixSeconds now, const VerifyOptions& options) {
  Verification result;
  if (text::trim(header).empty()) {
    result.outcome = Outcome::header_missing;
    result.message = "signature header is missing";
    return result;
  }
  auto parsed = parse_header(header);
  if (!parsed) {
    result.outcome = Outcome::header_malformed;
    result.message = fmt::format("signature header is malformed: {}", parsed.error().message);
    result.hints.emplace_back("expected \"t=<unix seconds>,v1=<64 lowercase hex>\"");
    return result;
  }
  result.timestamp = parsed->timestamp;
  result.skew_seconds = saturating_difference(now, parsed->timestamp);

  if (secrets.empty()) {
    result.outcome = Outcome::no_secret;
    result.message = "no webhook secret is configured";
    result.hints = parsed->notes;
    return result;
  }

  // Every (secret, v1) pair is compared; the first matching secret and its first v1 win.
  std::optional<std::size_t> v1_index;
  for (const auto& secret : secrets) {
    const auto match = find_match(digest_hex(secret.value, parsed->timestamp_text, body), parsed->v1);
    if (match && !result.secret_index) {
      result.secret_index = secret.index;
      v1_index = match;
    }
  }

  if (!result.secret_index) {
    result.outcome = Outcome::signature_mismatch;
    result.message = fmt::format("signature does not match (checked {} secret(s) against {} v1 value(s))",
                                 secrets.size(), parsed->v1.size());
    if (options.diagnose == Diagnose::yes) {
      result.hints = diagnose_mismatch(secrets, *parsed, body, result.skew_seconds, options.tolerance_seconds);
    }
  } else if (const auto violation = window_violation(result.skew_seconds, options.tolerance_seconds)) {
    result.outcome = violation->first;
    result.message = violation->second;
  } else {
    result.outcome = Outcome::valid;
    result.message = "signature is valid";
  }
  if (v1_index && *v1_index > 0) {
    result.hints.push_back(fmt::format("only v1 value {} of {} matched; the official SDK checks only the first",
                                       *v1_index + 1, parsed->v1.size()));
  }
  for (auto& note : parsed->notes) result.hints.push_back(std::move(note));
  return result;
}

}  // namespace

Verification verify(std::string_view header, std::span<const std::string> secrets, std::string_view body,
                    UnixSeconds now, const VerifyOptions& options) {
  std::vector<Secret> usable;
  Verification result;
  try {
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      if (!secrets[i].empty()) usable.push_back({i, secrets[i]});
    }
    result = verify_unguarded(header, usable, body, now, options);
  } catch (const std::exception& e) {
    // Only allocation can fail here; never report success.
    result = Verification{};
    result.outcome = Outcome::signature_mismatch;
    result.message = fmt::format("signature could not be checked: {}", e.what());
  }
  redact(result, usable);
  return result;
}

}  // namespace ctg::signing
