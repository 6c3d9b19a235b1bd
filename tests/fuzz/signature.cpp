// Fuzz target: Contiguity-Signature headers (lib/ctg/signing/signature.hpp).
//
// The input is a header value, a line feed, then a body (no line feed: all of it is the header and
// the body is empty). A time `now` and a second signing time are drawn from the input. Checks:
//   - parse_header(header) never crashes; accepted: a non-negative t whose text is all digits,
//     at least one v1, each 64 hex characters; refused: a message;
//   - verify(header, secrets, body, now) with a fixed secret claims valid only when one of the
//     header's v1 values is the HMAC of that secret over the header's t (as written) "." body and
//     t is within the tolerance: an arbitrary header never passes for a key that did not sign it;
//     with Diagnose::no it reaches the same outcome, with no hint the diagnosis did not give; no
//     message or hint holds a secret;
//   - sign() then verify() round trips for the body: valid with the signing secret (first or
//     second of two), signature_mismatch with another secret or another body, timestamp_too_old
//     and timestamp_too_new outside the tolerance, and parse_header() reads back t and v1.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/signing/signature.hpp"
#include "fuzz_support.hpp"

namespace {

using ctg::fuzz::check;
namespace signing = ctg::signing;

const std::string k_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string k_other_secret = "whsec_3Nxb7QvA1dLk0pYcT9uE2sWm";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// No message or hint holds a secret given to verify(), nor most of one: any 24 characters of what
// follows its whsec_ prefix would give away all but a few.
void check_no_secret(const signing::Verification& result, const std::vector<std::string>& secrets) {
  constexpr std::size_t k_window = 24;
  for (const auto& secret : secrets) {
    const std::string tail = secret.substr(6);  // without whsec_
    for (std::size_t at = 0; at + k_window <= tail.size(); ++at) {
      const auto part = std::string_view(tail).substr(at, k_window);
      check(result.message.find(part) == std::string::npos, "no message holds a secret");
      for (const auto& hint : result.hints) check(hint.find(part) == std::string::npos, "no hint holds a secret");
    }
  }
}

void check_parse(std::string_view header) {
  const auto parsed = signing::parse_header(header);
  if (!parsed) {
    check(!parsed.error().message.empty() && parsed.error().kind == ctg::ErrorKind::invalid_input,
          "a refused header says why");
    return;
  }
  check(parsed->timestamp >= 0, "t is not negative");
  check(!parsed->timestamp_text.empty() &&
            parsed->timestamp_text.find_first_not_of("0123456789") == std::string::npos,
        "t is written in digits");
  check(!parsed->v1.empty(), "an accepted header has a v1");
  for (const auto& v1 : parsed->v1) {
    check(v1.size() == 64 && std::all_of(v1.begin(), v1.end(), is_hex), "each v1 is 64 hex characters");
  }
}

// verify() over an arbitrary header: valid only for a real signature.
void check_verify(std::string_view header, std::string_view body, ctg::UnixSeconds now) {
  const std::vector<std::string> secrets = {k_secret};
  const auto result = signing::verify(header, secrets, body, now);
  const auto quick = signing::verify(header, secrets, body, now, {.diagnose = signing::Diagnose::no});
  check(result.outcome == quick.outcome, "Diagnose::no reaches the same outcome");
  // Diagnose::no leaves out the diagnoses; the header's own notes remain.
  for (const auto& hint : quick.hints) {
    check(std::find(result.hints.begin(), result.hints.end(), hint) != result.hints.end(),
          "Diagnose::no adds no hint of its own");
  }
  check(!result.message.empty(), "every outcome says why");
  check_no_secret(result, secrets);
  if (!result.valid()) return;
  const auto parsed = signing::parse_header(header);
  check(parsed.has_value(), "a valid signature's header parses");
  signing::HmacSha256 hmac(k_secret);
  hmac.update(parsed->timestamp_text);
  hmac.update(".");
  hmac.update(body);
  const std::string expected = hmac.finish_hex();
  check(std::find(parsed->v1.begin(), parsed->v1.end(), expected) != parsed->v1.end(),
        "valid only when a v1 is the HMAC of the secret over t.body");
  check(result.secret_index == 0u, "the matching secret is named");
  const auto skew = now - parsed->timestamp;
  check(skew <= signing::k_default_tolerance_seconds && skew >= -signing::k_default_tolerance_seconds,
        "valid only within the tolerance");
}

void check_round_trip(std::string_view body, ctg::UnixSeconds t) {
  const std::string header = signing::sign(k_secret, t, body);
  const auto parsed = signing::parse_header(header);
  check(parsed.has_value() && parsed->timestamp == t && parsed->v1.size() == 1 &&
            parsed->v1[0] == signing::compute_v1(k_secret, t, body) && parsed->notes.empty(),
        "parse_header() reads back what sign() wrote");

  const std::vector<std::string> mine = {k_secret};
  const std::vector<std::string> rotated = {k_other_secret, k_secret};
  const std::vector<std::string> other = {k_other_secret};
  const auto valid = signing::verify(header, mine, body, t);
  check(valid.valid() && valid.secret_index == 0u && valid.timestamp == t, "sign() then verify() is valid");
  const auto second = signing::verify(header, rotated, body, t);
  check(second.valid() && second.secret_index == 1u, "the second of two secrets verifies");
  const auto wrong_key = signing::verify(header, other, body, t);
  check(wrong_key.outcome == signing::Outcome::signature_mismatch, "another secret does not verify");
  check_no_secret(wrong_key, other);
  const std::string changed = std::string(body) + "x";
  check(signing::verify(header, mine, changed, t).outcome == signing::Outcome::signature_mismatch,
        "another body does not verify");
  const auto tolerance = signing::k_default_tolerance_seconds;
  if (t <= INT64_MAX - tolerance - 1) {
    check(signing::verify(header, mine, body, t + tolerance).valid(), "valid at the edge of the tolerance");
    check(signing::verify(header, mine, body, t + tolerance + 1).outcome == signing::Outcome::timestamp_too_old,
          "too old beyond the tolerance");
    check(signing::verify(header, mine, body, t + tolerance + 1, {.tolerance_seconds = 0}).valid(),
          "tolerance 0 checks no time");
  }
  if (t >= tolerance + 1) {
    check(signing::verify(header, mine, body, t - tolerance - 1).outcome == signing::Outcome::timestamp_too_new,
          "too new beyond the tolerance");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = ctg::fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  const auto header = input.substr(0, newline);
  const auto body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  ctg::fuzz::Draw draw(ctg::fuzz::fnv1a(input));
  // Most draws near the header's own t (when it has one), so that the window is reached.
  const auto parsed = ctg::signing::parse_header(header);
  const auto near = parsed ? parsed->timestamp : ctg::UnixSeconds{1'707'321'600};
  const auto offset = static_cast<std::int64_t>(draw.next() % 1000) - 500;
  const ctg::UnixSeconds now = near > INT64_MAX - 500 ? near : near + offset;

  check_parse(header);
  check_verify(header, body, now);
  check_round_trip(body, static_cast<ctg::UnixSeconds>(draw.next() >> 1));
  check_round_trip(body, static_cast<ctg::UnixSeconds>(draw.next() % 4'000'000'000));
  return 0;
}
