#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ctg/signing/signature.hpp"

using namespace ctg;
using namespace ctg::signing;

namespace {

// platform.md §4 known-answer vectors.
constexpr std::string_view k_secret = "whsec_test_secret";
constexpr UnixSeconds k_t = 1707321600;
constexpr std::string_view k_event_body =
    R"({"id":"evt_d61aCHRo18","type":"text.incoming.sms","timestamp":1707321600,"api_version":"v2025.9.7",)"
    R"("data":{"from":"+15551234567","to":"+15559876543","body":"Hello world","timestamp":1707321600}})";
constexpr std::string_view k_event_v1 = "0012bc2bfa0c7d87ffe72b3e0d18879013fcc9682187c33277b4e98314e7b7dd";
constexpr std::string_view k_empty_v1 = "e6be9c2688599063eb74ca75a3a1576f511259823c7314f22b503afa3b48edc7";
constexpr std::string_view k_cafe_body = "{\"body\":\"caf\xC3\xA9 \xF0\x9F\x91\x8D\"}";  // {"body":"café 👍"}
constexpr std::string_view k_cafe_v1 = "651edd82b8a14a924c754197e6f0bdaf28324a53c25f891bd22e8abd8a414ebd";

std::string hmac_hex(std::string_view key, std::string_view message) {
  HmacSha256 mac(key);
  mac.update(message);
  return mac.finish_hex();
}

std::string header_with(std::string_view t_text, std::string_view v1) {
  return "t=" + std::string(t_text) + ",v1=" + std::string(v1);
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string parse_error(std::string_view header) {
  const auto parsed = parse_header(header);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().kind == ErrorKind::invalid_input);
  return parsed.error().message;
}

const std::vector<std::string> k_one_secret{std::string(k_secret)};

}  // namespace

TEST_CASE("signing::HmacSha256") {
  SUBCASE("RFC 4231 vectors and an empty key") {
    CHECK(hmac_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hmac_hex(std::string(131, '\xAA'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK(hmac_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  }

  SUBCASE("1 MiB fed in odd-sized chunks equals one shot and a known answer") {
    std::string data(std::size_t{1} << 20, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 31 + 7) % 256);
    constexpr std::string_view k_expected = "e7cb6d128b25e88000d78dbddf6282146f53163854b85374229eb4bc435abeb9";

    CHECK(hmac_hex(k_secret, data) == k_expected);

    HmacSha256 chunked(k_secret);
    constexpr std::array<std::size_t, 6> k_chunks{1, 7, 0, 4093, 65537, 13};
    std::size_t offset = 0;
    for (std::size_t n = 0; offset < data.size(); ++n) {
      const std::size_t len = std::min(k_chunks[n % k_chunks.size()], data.size() - offset);
      chunked.update(std::string_view(data).substr(offset, len));
      offset += len;
    }
    const std::string digest = chunked.finish_hex();
    CHECK(digest == k_expected);
    CHECK(digest.size() == 64);
    CHECK(is_lower_hex(digest));
  }

  SUBCASE("keys of every length around SHA-256's block agree with OpenSSL's one-shot HMAC") {
    std::string message;
    for (std::size_t key_length = 0; key_length <= 130; ++key_length) {
      std::string key(key_length, '\0');
      for (std::size_t i = 0; i < key_length; ++i) key[i] = static_cast<char>((i * 131 + key_length) % 256);
      message += static_cast<char>(key_length * 7);
      std::array<unsigned char, EVP_MAX_MD_SIZE> expected{};
      unsigned int length = 0;
      REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const unsigned char*>(message.data()), message.size(), expected.data(),
                   &length) != nullptr);
      std::string expected_hex;
      for (unsigned int i = 0; i < length; ++i) expected_hex += fmt::format("{:02x}", expected[i]);
      CAPTURE(key_length);
      CHECK(hmac_hex(key, message) == expected_hex);
    }
  }

  SUBCASE("a second finish_hex returns nothing rather than a wrong digest") {
    HmacSha256 mac(k_secret);
    mac.update("x");
    CHECK(mac.finish_hex().size() == 64);
    CHECK(mac.finish_hex().empty());
  }
}

TEST_CASE("signing::compute_v1 and signing::sign match platform.md's known answers") {
  SUBCASE("event body") {
    CHECK(compute_v1(k_secret, k_t, k_event_body) == k_event_v1);
    CHECK(sign(k_secret, k_t, k_event_body) == "t=1707321600,v1=" + std::string(k_event_v1));
  }
  SUBCASE("empty body") {
    CHECK(compute_v1(k_secret, k_t, "") == k_empty_v1);
    CHECK(sign(k_secret, k_t, "") == "t=1707321600,v1=" + std::string(k_empty_v1));
  }
  SUBCASE("UTF-8 body") {
    REQUIRE(k_cafe_body.size() == 21);  // é is 2 bytes, 👍 is 4
    CHECK(compute_v1(k_secret, k_t, k_cafe_body) == k_cafe_v1);
    CHECK(sign(k_secret, k_t, k_cafe_body) == "t=1707321600,v1=" + std::string(k_cafe_v1));
  }
  SUBCASE("the key is the whole secret and the message is t.body") {
    CHECK(compute_v1(k_secret, k_t, k_event_body) == hmac_hex(k_secret, "1707321600." + std::string(k_event_body)));
    CHECK(compute_v1("test_secret", k_t, k_event_body) != k_event_v1);
    CHECK(compute_v1(k_secret, k_t + 1, k_event_body) != k_event_v1);
  }
  SUBCASE("signed headers verify") {
    for (const std::string_view body : {k_event_body, std::string_view{}, k_cafe_body}) {
      CHECK(verify(sign(k_secret, k_t, body), k_one_secret, body, k_t).valid());
    }
  }
}

TEST_CASE("signing::parse_header accepts well-formed headers") {
  SUBCASE("t and one v1") {
    const auto parsed = parse_header(header_with("1707321600", k_event_v1));
    REQUIRE(parsed.has_value());
    CHECK(parsed->timestamp == k_t);
    CHECK(parsed->timestamp_text == "1707321600");
    REQUIRE(parsed->v1.size() == 1);
    CHECK(parsed->v1[0] == k_event_v1);
    CHECK(parsed->notes.empty());
  }
  SUBCASE("t keeps leading zeros verbatim") {
    const auto parsed = parse_header(header_with("0001707321600", k_event_v1));
    REQUIRE(parsed.has_value());
    CHECK(parsed->timestamp == k_t);
    CHECK(parsed->timestamp_text == "0001707321600");
  }
  SUBCASE("several v1, in order") {
    const auto parsed = parse_header(header_with("1", k_empty_v1) + ",v1=" + std::string(k_event_v1));
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->v1.size() == 2);
    CHECK(parsed->v1[0] == k_empty_v1);
    CHECK(parsed->v1[1] == k_event_v1);
  }
  SUBCASE("v1 may come first, which the official SDK would not accept") {
    const auto parsed = parse_header("v1=" + std::string(k_event_v1) + ",t=1707321600");
    REQUIRE(parsed.has_value());
    CHECK(parsed->timestamp == k_t);
    REQUIRE(parsed->notes.size() == 1);
    CHECK(parsed->notes[0] == "v1 does not directly follow t; the official SDK only accepts \"t=...,v1=...\"");
  }
  SUBCASE("spaces around parts are trimmed and noted") {
    const auto parsed = parse_header(" t=1707321600 , v1 = " + std::string(k_event_v1) + " ");
    REQUIRE(parsed.has_value());
    CHECK(parsed->timestamp_text == "1707321600");
    CHECK(parsed->v1[0] == k_event_v1);
    REQUIRE(parsed->notes.size() == 1);
    CHECK(parsed->notes[0] == "spaces around the header's parts were ignored; the official SDK accepts no spaces");
  }
  SUBCASE("unknown keys are ignored and noted") {
    const auto parsed = parse_header(header_with("1707321600", k_event_v1) + ",v0=abc");
    REQUIRE(parsed.has_value());
    CHECK(parsed->v1.size() == 1);
    REQUIRE(parsed->notes.size() == 1);
    CHECK(parsed->notes[0] == "unknown key \"v0\" ignored");
  }
  SUBCASE("uppercase hex is syntactically accepted") {
    std::string upper(k_event_v1);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto parsed = parse_header(header_with("1707321600", upper));
    REQUIRE(parsed.has_value());
    CHECK(parsed->v1[0] == upper);
  }
  SUBCASE("the largest int64 t") {
    const auto parsed = parse_header(header_with("9223372036854775807", k_event_v1));
    REQUIRE(parsed.has_value());
    CHECK(parsed->timestamp == std::numeric_limits<std::int64_t>::max());
  }
}

TEST_CASE("signing::parse_header names what is malformed") {
  const std::string v1(k_event_v1);
  SUBCASE("empty") {
    CHECK(parse_error("") == "empty header");
    CHECK(parse_error("  \t ") == "empty header");
  }
  SUBCASE("missing parts") {
    CHECK(parse_error("v1=" + v1) == "no t= part");
    CHECK(parse_error("t=1707321600") == "no v1= part");
    CHECK(parse_error("t=1707321600,v0=abc") == "no v1= part");
  }
  SUBCASE("bad t") {
    CHECK(parse_error("t=abc,v1=" + v1) == "t is not an integer: \"abc\"");
    CHECK(parse_error("t=17073216.5,v1=" + v1) == "t is not an integer: \"17073216.5\"");
    CHECK(parse_error("t=+1707321600,v1=" + v1) == "t is not an integer: \"+1707321600\"");
    CHECK(parse_error("t=-5,v1=" + v1) == "t is negative: \"-5\"");
    CHECK(parse_error("t=,v1=" + v1) == "t is empty");
    CHECK(parse_error("t=9223372036854775808,v1=" + v1) == "t is out of range: \"9223372036854775808\"");
    CHECK(parse_error("t=99999999999999999999999,v1=" + v1) == "t is out of range: \"99999999999999999999999\"");
    CHECK(parse_error("t=1,t=1,v1=" + v1) == "t appears more than once");
    CHECK(parse_error("t=1,v1=" + v1 + ",t=2") == "t appears more than once");
  }
  SUBCASE("bad v1") {
    CHECK(parse_error("t=1,v1=abc123abc123") == "v1 must be 64 hex characters, got 12");
    CHECK(parse_error("t=1,v1=") == "v1 must be 64 hex characters, got 0");
    CHECK(parse_error("t=1,v1=" + v1 + "0") == "v1 must be 64 hex characters, got 65");
    std::string bad = v1;
    bad[4] = 'g';
    CHECK(parse_error("t=1,v1=" + bad) == "v1 must be 64 hex characters, found a non-hex character at position 5");
    CHECK(parse_error("t=1,v1=" + v1 + ",v1=xyz") == "v1 must be 64 hex characters, got 3");
  }
  SUBCASE("bad structure") {
    CHECK(parse_error("t=1,,v1=" + v1) == "part 2 is empty (a stray comma)");
    CHECK(parse_error("t=1,v1=" + v1 + ",") == "part 3 is empty (a stray comma)");
    CHECK(parse_error("t=1;v1=" + v1).starts_with("t is not an integer: \"1;v1=0012bc"));  // one part
    CHECK(parse_error("garbage") == "part 1 is not key=value");
    CHECK(parse_error("t=1,v1" + v1) == "part 2 is not key=value");
    CHECK(parse_error("Contiguity-Signature: t=1,v1=" + v1) ==
          "the value includes the header name; pass only what follows \"Contiguity-Signature:\"");
  }
}

TEST_CASE("signing::verify outcomes") {
  const std::string good = header_with("1707321600", k_event_v1);

  SUBCASE("valid") {
    const auto v = verify(good, k_one_secret, k_event_body, k_t);
    CHECK(v.valid());
    CHECK(v.outcome == Outcome::valid);
    CHECK(v.message == "signature is valid");
    CHECK(v.hints.empty());
    CHECK(v.timestamp == k_t);
    CHECK(v.secret_index == std::size_t{0});
    CHECK(v.skew_seconds == 0);
  }
  SUBCASE("header missing") {
    for (const std::string_view header : {std::string_view{}, std::string_view{" \t"}}) {
      const auto v = verify(header, k_one_secret, k_event_body, k_t);
      CHECK(v.outcome == Outcome::header_missing);
      CHECK(v.message == "signature header is missing");
      CHECK_FALSE(v.timestamp.has_value());
      CHECK_FALSE(v.secret_index.has_value());
    }
    // Checked before the secret.
    CHECK(verify("", {}, k_event_body, k_t).outcome == Outcome::header_missing);
  }
  SUBCASE("header malformed") {
    const auto v = verify("t=abc,v1=" + std::string(k_event_v1), k_one_secret, k_event_body, k_t);
    CHECK(v.outcome == Outcome::header_malformed);
    CHECK(v.message == "signature header is malformed: t is not an integer: \"abc\"");
    CHECK_FALSE(v.timestamp.has_value());
    CHECK(verify("t=1", {}, k_event_body, k_t).outcome == Outcome::header_malformed);
  }
  SUBCASE("no secret") {
    const auto v = verify(good, {}, k_event_body, k_t);
    CHECK(v.outcome == Outcome::no_secret);
    CHECK(v.message == "no webhook secret is configured");
    CHECK(v.timestamp == k_t);
    CHECK_FALSE(v.secret_index.has_value());
    const std::vector<std::string> only_empty{"", ""};
    CHECK(verify(good, only_empty, k_event_body, k_t).outcome == Outcome::no_secret);
  }
  SUBCASE("mismatch") {
    const std::vector<std::string> wrong{"whsec_wrong"};
    const auto v = verify(good, wrong, k_event_body, k_t);
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(v.message == "signature does not match (checked 1 secret(s) against 1 v1 value(s))");
    CHECK(v.hints.empty());
    CHECK_FALSE(v.secret_index.has_value());
    CHECK(v.timestamp == k_t);

    const std::vector<std::string> two_wrong{"whsec_a", "", "whsec_b"};
    const std::string three = good + ",v1=" + std::string(k_empty_v1) + ",v1=" + std::string(k_cafe_v1);
    CHECK(verify(three, two_wrong, k_event_body, k_t).message ==
          "signature does not match (checked 2 secret(s) against 3 v1 value(s))");

    CHECK(verify(good, k_one_secret, std::string(k_event_body) + "x", k_t).outcome == Outcome::signature_mismatch);
    for (const std::size_t position : {std::size_t{0}, std::size_t{31}, std::size_t{63}}) {
      std::string altered(k_event_v1);
      altered[position] = altered[position] == '0' ? '1' : '0';
      CAPTURE(position);
      CHECK(verify(header_with("1707321600", altered), k_one_secret, k_event_body, k_t).outcome ==
            Outcome::signature_mismatch);
    }
    CHECK(verify(header_with("1707321601", k_event_v1), k_one_secret, k_event_body, k_t).outcome ==
          Outcome::signature_mismatch);
  }
  SUBCASE("several v1 values: the second one matches") {
    const std::string header = header_with("1707321600", k_empty_v1) + ",v1=" + std::string(k_event_v1);
    const auto v = verify(header, k_one_secret, k_event_body, k_t);
    CHECK(v.valid());
    CHECK(v.secret_index == std::size_t{0});
    REQUIRE(v.hints.size() == 1);
    CHECK(v.hints[0] == "only v1 value 2 of 2 matched; the official SDK checks only the first");
  }
  SUBCASE("several secrets (rotation): the second one matches") {
    const std::vector<std::string> rotated{"whsec_new_secret", std::string(k_secret)};
    const auto v = verify(good, rotated, k_event_body, k_t);
    CHECK(v.valid());
    CHECK(v.secret_index == std::size_t{1});
    CHECK(v.hints.empty());

    const std::vector<std::string> twice{std::string(k_secret), "whsec_other", std::string(k_secret)};
    CHECK(verify(good, twice, k_event_body, k_t).secret_index == std::size_t{0});  // the first match wins

    const std::vector<std::string> with_blank{"", std::string(k_secret)};
    CHECK(verify(good, with_blank, k_event_body, k_t).secret_index == std::size_t{1});
  }
  SUBCASE("t is covered as written, leading zeros included") {
    const std::string body(k_event_body);
    const std::string v1 = hmac_hex(k_secret, "01707321600." + body);
    const auto v = verify(header_with("01707321600", v1), k_one_secret, body, k_t);
    CHECK(v.valid());
    CHECK(v.timestamp == k_t);
    CHECK(verify(header_with("01707321600", k_event_v1), k_one_secret, body, k_t).outcome ==
          Outcome::signature_mismatch);
  }
  SUBCASE("leniencies taken while parsing become hints") {
    const auto v = verify(" t=1707321600, v1=" + std::string(k_event_v1), k_one_secret, k_event_body, k_t);
    CHECK(v.valid());
    REQUIRE(v.hints.size() == 1);
    CHECK(v.hints[0] == "spaces around the header's parts were ignored; the official SDK accepts no spaces");
  }
  SUBCASE("bodies of several MiB") {
    const std::string body(5 * (std::size_t{1} << 20) + 3, 'z');
    const std::string header = sign(k_secret, k_t, body);
    CHECK(verify(header, k_one_secret, body, k_t).valid());
    CHECK(verify(header, k_one_secret, body + "\n", k_t).outcome == Outcome::signature_mismatch);
  }
}

TEST_CASE("signing::verify timestamp window") {
  const std::string good = header_with("1707321600", k_event_v1);

  SUBCASE("too old, with the exact age") {
    const auto v = verify(good, k_one_secret, k_event_body, k_t + 412);
    CHECK(v.outcome == Outcome::timestamp_too_old);
    CHECK(v.message == "timestamp is 412 s too old (tolerance 300 s)");
    CHECK(v.skew_seconds == 412);
    CHECK(v.secret_index == std::size_t{0});
    CHECK(v.timestamp == k_t);
  }
  SUBCASE("too new, with the exact lead") {
    const auto v = verify(good, k_one_secret, k_event_body, k_t - 90, VerifyOptions{.tolerance_seconds = 60});
    CHECK(v.outcome == Outcome::timestamp_too_new);
    CHECK(v.message == "timestamp is 90 s in the future (tolerance 60 s)");
    CHECK(v.skew_seconds == -90);
    CHECK(v.secret_index == std::size_t{0});
  }
  SUBCASE("the bounds are inclusive") {
    CHECK(verify(good, k_one_secret, k_event_body, k_t + 300).valid());
    CHECK(verify(good, k_one_secret, k_event_body, k_t - 300).valid());
    CHECK(verify(good, k_one_secret, k_event_body, k_t + 301).outcome == Outcome::timestamp_too_old);
    CHECK(verify(good, k_one_secret, k_event_body, k_t - 301).outcome == Outcome::timestamp_too_new);
  }
  SUBCASE("tolerance 0 disables the window") {
    const VerifyOptions off{.tolerance_seconds = 0};
    const auto old = verify(good, k_one_secret, k_event_body, k_t + 10 * 365 * 86400, off);
    CHECK(old.valid());
    CHECK(old.skew_seconds == 10 * 365 * 86400);
    CHECK(verify(good, k_one_secret, k_event_body, 0, off).valid());
  }
  SUBCASE("the signature is checked before the window") {
    const std::vector<std::string> wrong{"whsec_wrong"};
    const auto v = verify(good, wrong, k_event_body, k_t + 412);
    CHECK(v.outcome == Outcome::signature_mismatch);
    REQUIRE(v.hints.size() == 1);
    CHECK(v.hints[0] == "t is outside the tolerance window as well: timestamp is 412 s too old (tolerance 300 s)");
  }
  SUBCASE("extreme values do not overflow") {
    const std::string max_t = header_with("9223372036854775807", k_event_v1);
    const auto v = verify(max_t, k_one_secret, k_event_body, -5);
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(v.skew_seconds == -std::numeric_limits<std::int64_t>::max());
    REQUIRE(v.hints.size() == 1);
    CHECK(v.hints[0] ==
          "t is outside the tolerance window as well: timestamp is 9223372036854775807 s in the future "
          "(tolerance 300 s)");
  }
}

TEST_CASE("signing::verify never reveals a secret") {
  const std::string secret = "whsec_SuperSecretValue123";
  const std::string tail = "SuperSecretValue123";
  const std::string plain = "plainSecretXYZ987";
  const std::vector<std::string> secrets{secret, plain};
  const std::string body(k_event_body);

  const auto check_clean = [&](const Verification& v) {
    INFO("message: " << v.message);
    for (const std::string& text : {secret, tail, plain}) {
      CHECK(v.message.find(text) == std::string::npos);
      for (const auto& hint : v.hints) CHECK(hint.find(text) == std::string::npos);
    }
  };

  SUBCASE("in every outcome and diagnosis") {
    check_clean(verify(sign(secret, k_t, body), secrets, body, k_t));
    check_clean(verify(sign(plain, k_t, body), secrets, body, k_t + 1000));
    check_clean(verify(sign("wrong", k_t, body), secrets, body, k_t + 1000));
    check_clean(verify(sign(tail, k_t, body), secrets, body, k_t));              // prefix dropped
    check_clean(verify(sign("whsec_" + plain, k_t, body), secrets, body, k_t));  // prefix added
    check_clean(verify(sign(secret, k_t, body), secrets, body + "\n", k_t));
    check_clean(verify(sign(secret, k_t, body), {}, body, k_t));
    check_clean(verify("", secrets, body, k_t));
  }
  SUBCASE("even when pasted into the header") {
    const auto as_t = verify("t=" + secret + ",v1=" + std::string(k_event_v1), secrets, body, k_t);
    CHECK(as_t.outcome == Outcome::header_malformed);
    CHECK(as_t.message == "signature header is malformed: t is not an integer: \"<secret>\"");
    check_clean(as_t);
    check_clean(verify(secret, secrets, body, k_t));
    check_clean(verify(plain, secrets, body, k_t));
    check_clean(verify(secret + "=1,t=1,v1=" + std::string(k_event_v1), secrets, body, k_t));
    check_clean(verify(tail + "=1,t=1,v1=" + std::string(k_event_v1), secrets, body, k_t));
  }
  SUBCASE("nor a piece of one that a message quotes cut short (a fuzzing finding)") {
    const std::string long_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const std::vector<std::string> mine{long_secret};
    // The t value is excerpted to 32 characters: the whole tail never appears, most of it would.
    const auto cut = verify("t=x" + long_secret.substr(6) + "y", mine, body, k_t);
    CHECK(cut.outcome == Outcome::header_malformed);
    for (std::size_t at = 0; at + 12 <= long_secret.size() - 6; ++at) {
      CHECK(cut.message.find(long_secret.substr(6 + at, 12)) == std::string::npos);
    }
    CHECK(cut.message.find("<secret>") != std::string::npos);
    // Ordinary text that shares a few characters with a secret is left alone.
    const auto ordinary = verify("t=abc", mine, body, k_t);
    CHECK(ordinary.message == "signature header is malformed: t is not an integer: \"abc\"");
  }
}

TEST_CASE("signing::to_string names every outcome") {
  CHECK(to_string(Outcome::valid) == "valid");
  CHECK(to_string(Outcome::header_missing) == "header_missing");
  CHECK(to_string(Outcome::header_malformed) == "header_malformed");
  CHECK(to_string(Outcome::no_secret) == "no_secret");
  CHECK(to_string(Outcome::signature_mismatch) == "signature_mismatch");
  CHECK(to_string(Outcome::timestamp_too_old) == "timestamp_too_old");
  CHECK(to_string(Outcome::timestamp_too_new) == "timestamp_too_new");
}
