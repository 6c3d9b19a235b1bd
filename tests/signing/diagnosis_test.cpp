#include <doctest/doctest.h>

#include <array>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/signing/diagnosis.hpp"
#include "ctg/signing/signature.hpp"

using namespace ctg;
using namespace ctg::signing;

namespace {

constexpr std::string_view k_secret = "whsec_test_secret";
constexpr UnixSeconds k_t = 1707321600;
constexpr std::string_view k_compact = R"({"a":1,"b":[true,null],"c":"x"})";
// What nlohmann's dump(2) (and JSON.stringify(x, null, 2)) makes of k_compact.
constexpr std::string_view k_indented = "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ],\n  \"c\": \"x\"\n}";

struct Marker {
  std::string_view name;
  std::string_view text;
};

// Every diagnosis verify() can make, by a distinctive part of its hint.
constexpr std::array<Marker, 11> k_markers{{
    {"uppercase", "v1 is uppercase hex; the official SDK only accepts lowercase"},
    {"extra_eol", "the signature matches the body without its last line ending"},
    {"trimmed", "the signature matches the body without its trailing whitespace"},
    {"lf", "the signature matches the body with a trailing \"\\n\""},
    {"crlf", "the signature matches the body with a trailing \"\\r\\n\""},
    {"compact", "the signature matches this body re-serialised as compact JSON"},
    {"indented", "the signature matches this body re-serialised as JSON indented by 2 spaces"},
    {"base64", "the signer base64-decoded the part after `whsec_` (Standard Webhooks/Svix style)"},
    {"dropped", "the signer dropped the `whsec_` prefix from the secret"},
    {"added", "the signer used the secret with a `whsec_` prefix that the configured secret lacks"},
    {"window", "t is outside the tolerance window as well: "},
}};

// The names of the diagnoses among v's hints; every hint must be a known diagnosis, once.
std::set<std::string> diagnoses(const Verification& v) {
  std::set<std::string> found;
  for (const auto& hint : v.hints) {
    std::size_t matched = 0;
    for (const auto& marker : k_markers) {
      if (hint.find(marker.text) != std::string::npos) {
        ++matched;
        CHECK_MESSAGE(found.insert(std::string(marker.name)).second, "hint repeated: " << hint);
      }
    }
    CHECK_MESSAGE(matched == 1, "unexpected hint: " << hint);
  }
  return found;
}

std::set<std::string> none() {
  return {};
}

// Signs `signed_body` with `signer_key`, then verifies `received_body` against `configured`.
Verification replay(std::string_view signer_key, std::string_view signed_body, std::string_view configured,
                    std::string_view received_body, UnixSeconds now = k_t) {
  const std::vector<std::string> secrets{std::string(configured)};
  return verify(sign(signer_key, k_t, signed_body), secrets, received_body, now);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string nested(std::size_t depth, std::string_view open, std::string_view close) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += open;
  out += "1";
  for (std::size_t i = 0; i < depth; ++i) out += close;
  return out;
}

}  // namespace

TEST_CASE("signing::verify diagnoses a body changed at its end") {
  const std::string body(k_compact);
  SUBCASE("a trailing newline was added") {
    const auto v = replay(k_secret, body, k_secret, body + "\n");
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(diagnoses(v) == std::set<std::string>{"trimmed"});
  }
  SUBCASE("a trailing CRLF or spaces were added") {
    CHECK(diagnoses(replay(k_secret, body, k_secret, body + "\r\n")) == std::set<std::string>{"trimmed"});
    CHECK(diagnoses(replay(k_secret, body, k_secret, body + "  \n\t")) == std::set<std::string>{"trimmed"});
  }
  SUBCASE("the final newline was lost") {
    CHECK(diagnoses(replay(k_secret, body + "\n", k_secret, body)) == std::set<std::string>{"lf"});
  }
  SUBCASE("the final CRLF was lost") {
    CHECK(diagnoses(replay(k_secret, body + "\r\n", k_secret, body)) == std::set<std::string>{"crlf"});
  }
  SUBCASE("a plain-text body") {
    CHECK(diagnoses(replay(k_secret, "hello", k_secret, "hello\n")) == std::set<std::string>{"trimmed"});
    CHECK(diagnoses(replay(k_secret, "", k_secret, "\n")) == std::set<std::string>{"trimmed"});
  }
  SUBCASE("a newline added to a body that already ended with one") {
    CHECK(diagnoses(replay(k_secret, body + "\n", k_secret, body + "\n\n")) == std::set<std::string>{"extra_eol"});
    CHECK(diagnoses(replay(k_secret, body + "\n", k_secret, body + "\n\r\n")) ==
          std::set<std::string>{"extra_eol"});
  }
  SUBCASE("not for a different change") {
    CHECK(diagnoses(replay(k_secret, body + "\n\n", k_secret, body)) == none());
    CHECK(diagnoses(replay(k_secret, body, k_secret, body + "x\n")) == none());
  }
}

TEST_CASE("signing::verify diagnoses re-serialised JSON") {
  SUBCASE("signed compact, received indented") {
    CHECK(diagnoses(replay(k_secret, k_compact, k_secret, k_indented)) == std::set<std::string>{"compact"});
  }
  SUBCASE("signed indented, received compact") {
    CHECK(diagnoses(replay(k_secret, k_indented, k_secret, k_compact)) == std::set<std::string>{"indented"});
  }
  SUBCASE("signed compact, received with other spacing") {
    const std::string spaced = R"({ "a" : 1, "b" : [ true, null ], "c" : "x" })";
    CHECK(diagnoses(replay(k_secret, k_compact, k_secret, spaced)) == std::set<std::string>{"compact"});
  }
  SUBCASE("key order is kept") {
    const std::string reordered = R"({"c":"x","a":1,"b":[true,null]})";
    CHECK(diagnoses(replay(k_secret, k_compact, k_secret, reordered)) == none());
  }
  SUBCASE("UTF-8 survives") {
    const std::string cafe = "{\"body\":\"caf\xC3\xA9 \xF0\x9F\x91\x8D\"}";
    const std::string cafe_spaced = "{ \"body\": \"caf\xC3\xA9 \xF0\x9F\x91\x8D\" }";
    CHECK(diagnoses(replay(k_secret, cafe, k_secret, cafe_spaced)) == std::set<std::string>{"compact"});
  }
  SUBCASE("not JSON, or invalid UTF-8 inside JSON: no diagnosis and no exception") {
    CHECK(diagnoses(replay(k_secret, "{x}", k_secret, "{ x }")) == none());
    const std::string bad_utf8 = "{\"a\": \"\xFF\"}";
    CHECK_NOTHROW(replay(k_secret, "{\"a\":\"\xFF\"}", k_secret, bad_utf8));
    CHECK(diagnoses(replay(k_secret, "{\"a\":\"\xFF\"}", k_secret, bad_utf8)) == none());
  }
  SUBCASE("nesting up to 64 is diagnosed, deeper is skipped") {
    CHECK(diagnoses(replay(k_secret, nested(64, "[", "]"), k_secret, nested(64, "[ ", " ]"))) ==
          std::set<std::string>{"compact"});
    CHECK(diagnoses(replay(k_secret, nested(65, "[", "]"), k_secret, nested(65, "[ ", " ]"))) == none());
    const std::string deep_received = nested(100000, "[ ", " ]");
    CHECK(replay(k_secret, nested(100000, "[", "]"), k_secret, deep_received).outcome == Outcome::signature_mismatch);
  }
  SUBCASE("bodies up to 1 MiB are diagnosed, larger ones are skipped") {
    const auto with_value = [](std::size_t n, std::string_view sep) {
      return "{\"a\"" + std::string(sep) + "\"" + std::string(n, 'x') + "\"}";
    };
    const std::size_t fits = (std::size_t{1} << 20) - 9;  // received body exactly 1 MiB
    REQUIRE(with_value(fits, ": ").size() == std::size_t{1} << 20);
    CHECK(diagnoses(replay(k_secret, with_value(fits, ":"), k_secret, with_value(fits, ": "))) ==
          std::set<std::string>{"compact"});
    CHECK(diagnoses(replay(k_secret, with_value(fits + 1, ":"), k_secret, with_value(fits + 1, ": "))) == none());
  }
}

TEST_CASE("signing::verify diagnoses re-serialised JSON of any shape, within bounds") {
  SUBCASE("escapes and numbers as a JSON library prints them again") {
    const std::string received = R"({"t":"caf\u00e9 \ud83d\udc4d \/ \u0001","n":[1E2,-0,1.50,0.1e1]})";
    const std::string dumped = "{\"t\":\"caf\xC3\xA9 \xF0\x9F\x91\x8D / \\u0001\",\"n\":[100.0,0,1.5,1.0]}";
    CHECK(diagnoses(replay(k_secret, dumped, k_secret, received)) == std::set<std::string>{"compact"});
  }
  SUBCASE("an object of 50,000 keys, either way") {
    std::string compact = "{";
    std::string indented = "{";
    for (int i = 0; i < 50000; ++i) {
      const std::string member = "\"key" + std::to_string(i) + "\":";
      compact += (i == 0 ? "" : ",") + member + "1";
      indented += (i == 0 ? "\n  " : ",\n  ") + member + " 1";
    }
    compact += "}";
    indented += "\n}";
    REQUIRE(indented.size() <= std::size_t{1} << 20);
    CHECK(diagnoses(replay(k_secret, compact, k_secret, indented)) == std::set<std::string>{"compact"});
    CHECK(diagnoses(replay(k_secret, indented, k_secret, compact)) == std::set<std::string>{"indented"});
  }
  SUBCASE("with several secrets, each is tried") {
    const std::vector<std::string> secrets{"whsec_unrelated", std::string(k_secret)};
    const auto v = verify(sign(k_secret, k_t, k_compact), secrets, k_indented, k_t);
    CHECK(diagnoses(v) == std::set<std::string>{"compact"});
  }
  SUBCASE("a repeated key is not re-serialised") {
    const std::string received = R"({"a": 1, "a": 2})";
    CHECK(diagnoses(replay(k_secret, R"({"a":2})", k_secret, received)) == none());
  }
  SUBCASE("an indented form beyond 8 times the body is skipped; the compact one is still tried") {
    // 64 levels of arrays around 20,000 zeros: indented, each zero sits on a line of its own
    // after 128 spaces, about 65 times the body.
    std::string compact = std::string(64, '[');
    for (int i = 0; i < 20000; ++i) compact += i == 0 ? "0" : ",0";
    compact += std::string(64, ']');
    const std::string spaced = compact + " ";
    std::string indented;
    for (int level = 0; level < 64; ++level) indented += std::string(2 * static_cast<std::size_t>(level), ' ') + "[\n";
    for (int i = 0; i < 20000; ++i) indented += std::string(128, ' ') + (i + 1 < 20000 ? "0,\n" : "0\n");
    for (int level = 63; level >= 0; --level) {
      indented += std::string(2 * static_cast<std::size_t>(level), ' ') + (level > 0 ? "]\n" : "]");
    }
    REQUIRE(indented.size() > 60 * compact.size());
    CHECK(diagnoses(replay(k_secret, compact, k_secret, spaced)) == std::set<std::string>{"trimmed"});
    const std::string respaced = "[ " + compact.substr(1);
    CHECK(diagnoses(replay(k_secret, compact, k_secret, respaced)) == std::set<std::string>{"compact"});
    CHECK(diagnoses(replay(k_secret, indented, k_secret, respaced)) == none());
  }
  SUBCASE("a small deep body is indented in full") {
    const std::string body = nested(64, "[", "]");
    std::string indented;
    for (int level = 0; level < 64; ++level) indented += std::string(2 * static_cast<std::size_t>(level), ' ') + "[\n";
    indented += std::string(128, ' ') + "1\n";
    for (int level = 63; level >= 0; --level) {
      indented += std::string(2 * static_cast<std::size_t>(level), ' ') + (level > 0 ? "]\n" : "]");
    }
    CHECK(diagnoses(replay(k_secret, indented, k_secret, body)) == std::set<std::string>{"indented"});
  }
}

TEST_CASE("signing::verify diagnoses the secret used the wrong way") {
  const std::string body(k_compact);
  SUBCASE("base64-decoded after whsec_ (Standard Webhooks/Svix)") {
    CHECK(diagnoses(replay("test", body, "whsec_dGVzdA==", body)) == std::set<std::string>{"base64"});
    CHECK(diagnoses(replay("test", body, "whsec_dGVzdA", body)) == std::set<std::string>{"base64"});
    const std::string svix_key =
        "\x31\xf2\x90\xf6\xbf\x06\x29\x8a\xab\x4f\x08\xd4\x3c\x3f\x08\x2c\xf6\x48\xa3\x62"
        "\xda\x2d\xa4\xb0";
    CHECK(diagnoses(replay(svix_key, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body)) ==
          std::set<std::string>{"base64"});
  }
  SUBCASE("whsec_ prefix dropped by the signer") {
    CHECK(diagnoses(replay("test_secret", body, k_secret, body)) == std::set<std::string>{"dropped"});
  }
  SUBCASE("whsec_ prefix added by the signer") {
    CHECK(diagnoses(replay(k_secret, body, "test_secret", body)) == std::set<std::string>{"added"});
  }
  SUBCASE("an unrelated wrong secret gets no diagnosis") {
    CHECK(diagnoses(replay("whsec_other_secret", body, k_secret, body)) == none());
    CHECK(diagnoses(replay("other", body, "whsec_dGVzdA==", body)) == none());
    CHECK(diagnoses(replay("whsec_other", body, "test_secret", body)) == none());
    CHECK(diagnoses(replay(k_secret, body, k_secret, R"({"a":2})")) == none());
  }
  SUBCASE("with several secrets, each is tried") {
    const std::vector<std::string> secrets{"whsec_unrelated", std::string(k_secret)};
    const auto v = verify(sign("test_secret", k_t, body), secrets, body, k_t);
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(diagnoses(v) == std::set<std::string>{"dropped"});
  }
}

TEST_CASE("signing::verify rejects uppercase hex with a hint") {
  const std::string body(k_compact);
  const std::string v1 = compute_v1(k_secret, k_t, body);
  const std::vector<std::string> secrets{std::string(k_secret)};

  SUBCASE("the right digest in uppercase") {
    const auto v = verify("t=1707321600,v1=" + upper(v1), secrets, body, k_t);
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(diagnoses(v) == std::set<std::string>{"uppercase"});
  }
  SUBCASE("mixed case is also rejected") {
    std::string mixed = v1;
    for (std::size_t i = 0; i < mixed.size(); i += 2) mixed[i] = upper(std::string(1, mixed[i]))[0];
    REQUIRE(mixed != v1);
    const auto v = verify("t=1707321600,v1=" + mixed, secrets, body, k_t);
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(diagnoses(v) == std::set<std::string>{"uppercase"});
  }
  SUBCASE("a wrong digest in uppercase gets no hint") {
    const auto v = verify("t=1707321600,v1=" + upper(compute_v1("whsec_other", k_t, body)), secrets, body, k_t);
    CHECK(diagnoses(v) == none());
  }
}

TEST_CASE("signing::verify notes a timestamp outside the window on a mismatch") {
  const std::string body(k_compact);
  SUBCASE("alone") {
    const auto v = replay("whsec_other", body, k_secret, body, k_t + 412);
    CHECK(diagnoses(v) == std::set<std::string>{"window"});
    CHECK(v.hints.back() == "t is outside the tolerance window as well: timestamp is 412 s too old (tolerance 300 s)");
  }
  SUBCASE("after another diagnosis") {
    const auto v = replay(k_secret, body, k_secret, body + "\n", k_t - 1000);
    CHECK(diagnoses(v) == std::set<std::string>{"trimmed", "window"});
    REQUIRE(v.hints.size() == 2);
    CHECK(v.hints[1] ==
          "t is outside the tolerance window as well: timestamp is 1000 s in the future (tolerance 300 s)");
  }
  SUBCASE("not when inside the window or the window is off") {
    CHECK(diagnoses(replay("whsec_other", body, k_secret, body, k_t + 300)) == none());
    const std::vector<std::string> secrets{"whsec_other"};
    const auto v =
        verify(sign(k_secret, k_t, body), secrets, body, k_t + 100000, VerifyOptions{.tolerance_seconds = 0});
    CHECK(v.outcome == Outcome::signature_mismatch);
    CHECK(diagnoses(v) == none());
  }
  SUBCASE("a valid signature gets no diagnosis") {
    CHECK(replay(k_secret, body, k_secret, body).hints.empty());
    CHECK(replay(k_secret, body + "\n", k_secret, body + "\n").hints.empty());
  }
}

TEST_CASE("signing::detail::decode_base64") {
  CHECK(detail::decode_base64("dGVzdA==") == std::optional<std::string>("test"));
  CHECK(detail::decode_base64("dGVzdA") == std::optional<std::string>("test"));
  CHECK(detail::decode_base64("dGVzdDE=") == std::optional<std::string>("test1"));
  CHECK(detail::decode_base64("dGVzdDEy") == std::optional<std::string>("test12"));
  CHECK(detail::decode_base64("+/8=") == std::optional<std::string>("\xFB\xFF"));
  CHECK(detail::decode_base64("") == std::optional<std::string>(""));
  CHECK_FALSE(detail::decode_base64("dGVzdA=").has_value());    // padding does not complete the group
  CHECK_FALSE(detail::decode_base64("dGVzdA===").has_value());  // too much padding
  CHECK_FALSE(detail::decode_base64("dG=VzdA").has_value());    // padding inside
  CHECK_FALSE(detail::decode_base64("dGVzd").has_value());      // 4n+1 characters
  CHECK_FALSE(detail::decode_base64("test_secret").has_value());
  CHECK_FALSE(detail::decode_base64("dGVz dA==").has_value());
}

TEST_CASE("signing::detail::wipe overwrites key material with zeros") {
  std::string key = "whsec_a_secret_copied_for_a_diagnosis";
  const auto size = key.size();
  ctg::signing::detail::wipe(key);
  CHECK(key.size() == size);
  CHECK(key == std::string(size, '\0'));
  std::string empty;
  ctg::signing::detail::wipe(empty);  // nothing to do, no fault
  CHECK(empty.empty());
}
