#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>

#include "ctg/core/text.hpp"

using namespace ctg;

TEST_CASE("core::text::find_invalid_utf8") {
  CHECK_FALSE(text::find_invalid_utf8("plain ascii").has_value());
  CHECK_FALSE(text::find_invalid_utf8("caf\xC3\xA9 \xF0\x9F\x91\x8D").has_value());  // café 👍
  CHECK(text::find_invalid_utf8("ab\xFF").value() == 2);                            // invalid byte
  CHECK(text::find_invalid_utf8("ab\xC3").value() == 2);                            // truncated
  CHECK(text::find_invalid_utf8("\xC0\xAF").value() == 0);                          // overlong '/'
  CHECK(text::find_invalid_utf8("x\xED\xA0\x80").value() == 1);                     // surrogate
  CHECK(text::find_invalid_utf8("\xF4\x90\x80\x80").value() == 0);                  // > U+10FFFF
}

TEST_CASE("core::text::nearest suggests close names") {
  constexpr std::array<std::string_view, 4> names{"listen", "sign", "verify", "fixtures"};
  CHECK(text::nearest("lisen", names).front() == "listen");
  CHECK(text::nearest("verfy", names).front() == "verify");
  CHECK(text::nearest("fixture", names).front() == "fixtures");
  CHECK(text::nearest("zzzzzzzz", names).empty());
  constexpr std::array<std::string_view, 3> types{"text.incoming.sms", "text.incoming.mms", "email.incoming"};
  CHECK(text::nearest("text.incomming.sms", types).front() == "text.incoming.sms");
}

TEST_CASE("core::text::glob_match") {
  CHECK(text::glob_match("text.*", "text.incoming.sms"));
  CHECK(text::glob_match("*.sms", "text.incoming.sms"));
  CHECK(text::glob_match("text.incoming.?ms", "text.incoming.mms"));
  CHECK(text::glob_match("text.incoming.sms", "text.incoming.sms"));
  CHECK_FALSE(text::glob_match("text.*", "email.incoming"));
  CHECK_FALSE(text::glob_match("text.incoming", "text.incoming.sms"));
  CHECK(text::glob_match("*", ""));
  // Pathological patterns stay fast (no exponential backtracking).
  CHECK_FALSE(text::glob_match("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST_CASE("core::text::excerpt keeps one line and whole characters") {
  CHECK(text::excerpt("hello\nworld", 20) == "hello world");
  CHECK(text::excerpt("abcdef", 3) == "abc\xE2\x80\xA6");
  CHECK(text::excerpt("\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D", 1) == "\xF0\x9F\x91\x8D\xE2\x80\xA6");
  CHECK(text::excerpt(std::string("a\x01z"), 10) == "a?z");
}

namespace {

// excerpt() one character at a time: the definition the run-appending version must match.
std::string excerpt_by_character(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    if (chars == max_chars) return out + "\xE2\x80\xA6";
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    len = std::min(len, s.size() - i);
    if (len == 1 && (c == '\n' || c == '\r' || c == '\t')) {
      out += ' ';
    } else if (len == 1 && c < 0x20) {
      out += '?';
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace

TEST_CASE("core::text::excerpt agrees with its one-character-at-a-time definition") {
  // Bytes drawn from a set rich in what excerpt() treats apart: controls, line breaks, lead and
  // continuation bytes of every length, invalid leads.
  constexpr std::string_view k_bytes = "ab \n\r\t\x01\x1f\x7f\xC3\xA9\xE2\x80\xA6\xF0\x9F\x91\x8D\xFF\xC0";
  std::mt19937 random(20261130);
  for (int round = 0; round < 20000; ++round) {
    std::string s(random() % 24, ' ');
    for (auto& c : s) c = k_bytes[random() % k_bytes.size()];
    const std::size_t max_chars = random() % 12;
    CAPTURE(s);
    CAPTURE(max_chars);
    REQUIRE(text::excerpt(s, max_chars) == excerpt_by_character(s, max_chars));
  }
}

TEST_CASE("core::text::is_plain_json_text") {
  CHECK(text::is_plain_json_text(""));
  CHECK(text::is_plain_json_text("evt_01JD7W4Q9S3K t=1,v1=ab ~!{}[]:"));
  CHECK(text::is_plain_json_text("\x7f"));  // DEL needs no escape in JSON
  CHECK_FALSE(text::is_plain_json_text("say \"hi\""));
  CHECK_FALSE(text::is_plain_json_text("a\\b"));
  CHECK_FALSE(text::is_plain_json_text("tab\there"));
  CHECK_FALSE(text::is_plain_json_text(std::string("nul\0", 4)));
  CHECK_FALSE(text::is_plain_json_text("caf\xC3\xA9"));
}

TEST_CASE("core::text::shell_quote") {
  CHECK(text::shell_quote("plain-word_1.json") == "plain-word_1.json");
  CHECK(text::shell_quote("two words") == "'two words'");
  CHECK(text::shell_quote("it's") == "'it'\\''s'");
  CHECK(text::shell_quote("") == "''");
}

TEST_CASE("core::text::split and trim") {
  const auto parts = text::split("a,,b", ',');
  REQUIRE(parts.size() == 3);
  CHECK(parts[1].empty());
  CHECK(text::trim("  x y \r\n") == "x y");
  CHECK(text::trim("   ").empty());
}
