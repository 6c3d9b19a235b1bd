// The diagnoses verify() runs on a mismatch: each usual signing mistake is replayed and kept
// only when it would have produced one of the header's v1 values.
#include "ctg/signing/diagnosis.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ctg/signing/reserialise.hpp"

namespace ctg::signing::detail {

namespace {

// Bodies larger than this are not re-serialised.
constexpr std::size_t k_json_max_bytes = std::size_t{1} << 20;
// A re-serialised form is streamed through the HMACs and never held; it is given up beyond this
// many bytes: 8 times the body (dump(2) of an array nested 64 deep is 65 times it), at least
// 64 KiB (small deep bodies), at most 8 MiB.
constexpr std::size_t k_reserialised_factor = 8;
constexpr std::size_t k_reserialised_min_bytes = std::size_t{64} << 10;
constexpr std::size_t k_reserialised_max_bytes = std::size_t{8} << 20;

bool is_upper_hex(char c) {
  return c >= 'A' && c <= 'F';
}
char to_lower_hex(char c) {
  return is_upper_hex(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

bool matches_any(std::string_view computed, std::span<const std::string> candidates) {
  return find_match(computed, candidates).has_value();
}

// True when `prefix_of` starts with `piece` at `offset` (a piece past its end does not).
bool continues(std::string_view prefix_of, std::size_t offset, std::string_view piece) {
  return offset <= prefix_of.size() && piece.size() <= prefix_of.size() - offset &&
         prefix_of.compare(offset, piece.size(), piece) == 0;
}

// True when some secret, over the body re-serialised in `layout` (as nlohmann::ordered_json's
// dump() or dump(2)), gives one of the header's v1 values. The form is streamed through one HMAC
// per secret, in one pass over the body; it is left out when it is not JSON that re-serialises
// with certainty, when it grows beyond its cap, and when it equals the body or the body without
// its trailing whitespace (diagnosed as such).
bool reserialised_matches(std::span<const Secret> secrets, const ParsedHeader& parsed, std::string_view body,
                          std::string_view trimmed, JsonLayout layout) {
  std::vector<std::unique_ptr<HmacSha256>> macs;
  macs.reserve(secrets.size());
  for (const auto& secret : secrets) {
    auto& mac = macs.emplace_back(std::make_unique<HmacSha256>(secret.value));
    mac->update(parsed.timestamp_text);
    mac->update(".");
  }
  std::size_t length = 0;
  bool same_as_body = true;
  bool same_as_trimmed = true;
  const std::size_t cap = std::clamp(k_reserialised_factor * body.size(), k_reserialised_min_bytes,
                                     k_reserialised_max_bytes);
  const auto result = reserialise_json(body, layout, cap, [&](std::string_view piece) {
    same_as_body = same_as_body && continues(body, length, piece);
    same_as_trimmed = same_as_trimmed && continues(trimmed, length, piece);
    length += piece.size();
    for (const auto& mac : macs) mac->update(piece);
  });
  if (result != Reserialised::done) return false;
  if ((same_as_body && length == body.size()) || (same_as_trimmed && length == trimmed.size())) return false;
  bool hit = false;
  for (const auto& mac : macs) hit = matches_any(mac->finish_hex(), parsed.v1) || hit;
  return hit;
}

// True when some (secret, v1) pair matches for `key_of(secret)` over `body + suffix`.
template <class KeyOf>
bool some_pair_matches(std::span<const Secret> secrets, const ParsedHeader& parsed, std::string_view body,
                       std::string_view suffix, KeyOf key_of) {
  bool hit = false;
  for (const auto& secret : secrets) {
    std::optional<std::string> key = key_of(secret.value);
    if (!key) continue;
    hit = matches_any(digest_hex(*key, parsed.timestamp_text, body, suffix), parsed.v1) || hit;
    wipe(*key);  // key material derived from a secret
  }
  return hit;
}

std::optional<std::string> as_given(std::string_view secret) {
  return std::string(secret);
}

void add_unique(std::vector<std::string>& hints, std::string hint) {
  if (std::find(hints.begin(), hints.end(), hint) == hints.end()) hints.push_back(std::move(hint));
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view in) {
  std::size_t padding = 0;
  while (!in.empty() && in.back() == '=' && padding < 2) {
    in.remove_suffix(1);
    ++padding;
  }
  if (in.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (in.size() + padding) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (char c : in) {
    std::uint32_t v = 0;
    if (c >= 'A' && c <= 'Z') {
      v = static_cast<std::uint32_t>(c - 'A');
    } else if (c >= 'a' && c <= 'z') {
      v = static_cast<std::uint32_t>(c - 'a' + 26);
    } else if (c >= '0' && c <= '9') {
      v = static_cast<std::uint32_t>(c - '0' + 52);
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return std::nullopt;  // includes '=' in the middle
    }
    bits = (bits << 6) | v;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits >> bit_count) & 0xFFu);
    }
  }
  return out;
}

std::vector<std::string> diagnose_mismatch(std::span<const Secret> secrets, const ParsedHeader& parsed,
                                           std::string_view body, std::int64_t skew, std::int64_t tolerance) {
  std::vector<std::string> hints;

  // Uppercase hex: the same digest, spelled differently.
  std::vector<std::string> lowered;
  for (const auto& v1 : parsed.v1) {
    if (std::any_of(v1.begin(), v1.end(), is_upper_hex)) {
      std::string lower = v1;
      std::transform(lower.begin(), lower.end(), lower.begin(), to_lower_hex);
      lowered.push_back(std::move(lower));
    }
  }
  if (!lowered.empty()) {
    bool hit = false;
    for (const auto& secret : secrets) {
      hit = matches_any(digest_hex(secret.value, parsed.timestamp_text, body), lowered) || hit;
    }
    if (hit) add_unique(hints, "v1 is uppercase hex; the official SDK only accepts lowercase");
  }

  // Trailing whitespace added to or removed from the body.
  const auto end = body.find_last_not_of(" \t\r\n");
  const std::string_view trimmed = end == std::string_view::npos ? std::string_view{} : body.substr(0, end + 1);
  if (trimmed.size() != body.size() && some_pair_matches(secrets, parsed, trimmed, {}, as_given)) {
    add_unique(hints,
               "the signature matches the body without its trailing whitespace; a newline or spaces were "
               "added to the body after signing (a file saved with a final newline?)");
  }
  // One line ending too many, where more whitespace precedes it (a pretty-printed body saved again).
  for (const std::string_view ending : {std::string_view("\r\n"), std::string_view("\n")}) {
    if (!body.ends_with(ending)) continue;
    const auto shorter = body.substr(0, body.size() - ending.size());
    if (shorter.size() != trimmed.size() && some_pair_matches(secrets, parsed, shorter, {}, as_given)) {
      add_unique(hints,
                 "the signature matches the body without its last line ending; a newline was added to the body "
                 "after signing (a file saved with a final newline?)");
    }
    break;
  }
  if (some_pair_matches(secrets, parsed, body, "\n", as_given)) {
    add_unique(hints,
               "the signature matches the body with a trailing \"\\n\"; the body lost its final newline after "
               "signing, or the signer added one");
  }
  if (some_pair_matches(secrets, parsed, body, "\r\n", as_given)) {
    add_unique(hints,
               "the signature matches the body with a trailing \"\\r\\n\"; the body lost its final line ending "
               "after signing, or the signer added one");
  }

  // JSON re-serialised between signing and verifying.
  if (body.size() <= k_json_max_bytes) {
    for (const auto& [layout, form] : {std::pair{JsonLayout::compact, "as compact JSON"},
                                       std::pair{JsonLayout::indented, "as JSON indented by 2 spaces"}}) {
      if (!reserialised_matches(secrets, parsed, body, trimmed, layout)) continue;
      add_unique(hints, fmt::format("the signature matches this body re-serialised {}; the JSON was parsed and "
                                    "dumped again between signing and verifying, but the signature covers the "
                                    "raw bytes",
                                    form));
    }
  }

  // The secret used differently by the signer.
  const auto base64_tail = [](std::string_view secret) -> std::optional<std::string> {
    if (!secret.starts_with(k_secret_prefix)) return std::nullopt;
    auto decoded = decode_base64(secret.substr(k_secret_prefix.size()));
    if (!decoded || decoded->empty()) return std::nullopt;
    return decoded;
  };
  if (some_pair_matches(secrets, parsed, body, {}, base64_tail)) {
    add_unique(hints,
               "the signer base64-decoded the part after `whsec_` (Standard Webhooks/Svix style); Contiguity "
               "uses the whole secret string, prefix included, as the key");
  }
  const auto without_prefix = [](std::string_view secret) -> std::optional<std::string> {
    if (!secret.starts_with(k_secret_prefix) || secret.size() == k_secret_prefix.size()) return std::nullopt;
    return std::string(secret.substr(k_secret_prefix.size()));
  };
  if (some_pair_matches(secrets, parsed, body, {}, without_prefix)) {
    add_unique(hints,
               "the signer dropped the `whsec_` prefix from the secret; Contiguity uses the whole secret, "
               "prefix included, as the key");
  }
  const auto with_prefix = [](std::string_view secret) -> std::optional<std::string> {
    if (secret.starts_with(k_secret_prefix)) return std::nullopt;
    return std::string(k_secret_prefix) + std::string(secret);
  };
  if (some_pair_matches(secrets, parsed, body, {}, with_prefix)) {
    add_unique(hints,
               "the signer used the secret with a `whsec_` prefix that the configured secret lacks; configure "
               "the whole secret as shown in the console");
  }

  if (const auto violation = window_violation(skew, tolerance)) {
    add_unique(hints, fmt::format("t is outside the tolerance window as well: {}", violation->second));
  }
  return hints;
}

}  // namespace ctg::signing::detail
