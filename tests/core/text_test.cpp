#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  CHECK(text::excerpt("a\r\tb\u2028c", 20) == "a  b c");  // CR, TAB, LINE SEPARATOR
  CHECK(text::excerpt("abcdef", 3) == "abc\xE2\x80\xA6");
  CHECK(text::excerpt("\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D", 1) == "\xF0\x9F\x91\x8D\xE2\x80\xA6");
}

TEST_CASE("core::text::excerpt escapes what a terminal would obey, as terminal_safe does") {
  CHECK(text::excerpt(std::string("a\x01z"), 10) == "a\\x01z");
  CHECK(text::excerpt("\x1b]0;pwned\x07|\x1b[2J", 40) == "\\x1b]0;pwned\\x07|\\x1b[2J");
  CHECK(text::excerpt("\u009b1m \u202ecba \x7F \xFF", 40) == "\\u009b1m \\u202ecba \\x7f \\xff");
  // An escape is one character of the count, whole or not at all.
  CHECK(text::excerpt("\x1b\x1b\x1b", 2) == "\\x1b\\x1b\xE2\x80\xA6");
}

namespace {

// The character at s[i], found without text.cpp's decoder: its length and code point (-1 for
// a byte that is not part of valid UTF-8).
std::pair<std::size_t, long> unit_at(std::string_view s, std::size_t i) {
  for (std::size_t len = 1; len <= 4 && i + len <= s.size(); ++len) {
    const auto seq = s.substr(i, len);
    if (text::find_invalid_utf8(seq)) continue;
    const auto lead = static_cast<unsigned char>(seq[0]);
    long cp = len == 1 ? lead : lead & (0xFF >> (len + 1));
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(seq[k]) & 0x3F);
    return {len, cp};
  }
  return {1, -1};
}

// The code points (or, for -1, the bytes) the terminal rule escapes.
bool escaped_on_terminal(long cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string escape_of(std::string_view unit, long cp) {
  if (unit.size() == 1) return fmt::format("\\x{:02x}", static_cast<unsigned char>(unit[0]));
  return fmt::format("\\u{:04x}", cp);
}

// terminal_safe() one character at a time: the definition the run-appending version must match.
std::string terminal_safe_by_character(std::string_view s, text::LineBreaks breaks) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto [len, cp] = unit_at(s, i);
    const auto unit = s.substr(i, len);
    const bool kept_break = breaks == text::LineBreaks::keep &&
                            (cp == '\n' || cp == '\t' || (cp == '\r' && s.substr(i + 1).starts_with('\n')));
    out += escaped_on_terminal(cp) && !kept_break ? escape_of(unit, cp) : std::string(unit);
    i += len;
  }
  return out;
}

// excerpt() one character at a time: the definition the run-appending version must match.
std::string excerpt_by_character(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    if (chars == max_chars) return out + "\xE2\x80\xA6";
    const auto [len, cp] = unit_at(s, i);
    const auto unit = s.substr(i, len);
    if (cp == '\n' || cp == '\r' || cp == '\t' || cp == 0x2028 || cp == 0x2029) {
      out += ' ';
    } else if (escaped_on_terminal(cp)) {
      out += escape_of(unit, cp);
    } else {
      out += unit;
    }
    i += len;
  }
  return out;
}

// Bytes rich in what the terminal rule treats apart: controls, line breaks, DEL, lead and
// continuation bytes of every length, C1 controls and bidi characters as UTF-8, raw C1 bytes,
// invalid leads, and their harmless neighbours (U+00A0, U+2027, U+202F, U+2065, U+206A).
constexpr std::string_view k_rich_bytes =
    "ab \\\n\r\t\x01\x1b\x1f\x7f\x9b\xC2\x80\x9F\xA0\xC3\xA9\xE2\x80\xA6\xA7\xA8\xAE\xAF\x81\xA5\xA6\xA9\xAA"
    "\xD8\x9C\xF0\x9F\x91\x8D\xFF\xC0\xED";

std::string random_string(std::mt19937& random, std::size_t max_len, bool any_byte) {
  std::string s(random() % max_len, ' ');
  for (auto& c : s) c = any_byte ? static_cast<char>(random() & 0xFF) : k_rich_bytes[random() % k_rich_bytes.size()];
  return s;
}

// True when `s` is valid UTF-8 holding no character the terminal rule escapes, but for the line
// breaks LineBreaks::keep lets through.
bool holds_nothing_a_terminal_obeys(std::string_view s, text::LineBreaks breaks) {
  if (text::find_invalid_utf8(s)) return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto [len, cp] = unit_at(s, i);
    const bool kept_break = breaks == text::LineBreaks::keep &&
                            (cp == '\n' || cp == '\t' || (cp == '\r' && s.substr(i + 1).starts_with('\n')));
    if (escaped_on_terminal(cp) && !kept_break) return false;
    i += len;
  }
  return true;
}

}  // namespace

TEST_CASE("core::text::excerpt agrees with its one-character-at-a-time definition") {
  std::mt19937 random(20261130);
  for (int round = 0; round < 20000; ++round) {
    const std::string s = random_string(random, 24, round % 4 == 0);
    const std::size_t max_chars = random() % 12;
    CAPTURE(s);
    CAPTURE(max_chars);
    REQUIRE(text::excerpt(s, max_chars) == excerpt_by_character(s, max_chars));
  }
}

TEST_CASE("core::text::terminal_safe escapes controls, C1, bidi and bytes that are not UTF-8") {
  using text::terminal_safe;
  SUBCASE("C0 controls and DEL as \\xHH") {
    CHECK(terminal_safe("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07");  // OSC: set the window title
    CHECK(terminal_safe("\x1b[2J\x1b[H") == "\\x1b[2J\\x1b[H");        // clear the screen
    CHECK(terminal_safe("good\rbad") == "good\\x0dbad");               // bare CR rewrites the line
    CHECK(terminal_safe("abc\b\b\bxyz") == "abc\\x08\\x08\\x08xyz");   // backspace
    CHECK(terminal_safe("del\x7f") == "del\\x7f");
    CHECK(terminal_safe(std::string("nul\0!", 5)) == "nul\\x00!");
    CHECK(terminal_safe("a\nb\tc") == "a\\x0ab\\x09c");
  }
  SUBCASE("C1 controls: as UTF-8 \\u00HH, as raw bytes \\xHH") {
    CHECK(terminal_safe("\u009b2J") == "\\u009b2J");                 // U+009B CSI
    CHECK(terminal_safe("\u009d0;t\u009c") == "\\u009d0;t\\u009c");  // OSC ... ST
    CHECK(terminal_safe("\xC2\x80|\xC2\x85|\xC2\x9F") == "\\u0080|\\u0085|\\u009f");
    CHECK(terminal_safe("\x9b" + std::string("2J")) == "\\x9b2J");  // 8-bit CSI, not UTF-8
  }
  SUBCASE("bidirectional formatting characters and separators as \\uHHHH") {
    CHECK(terminal_safe("\u202ecba") == "\\u202ecba");  // RIGHT-TO-LEFT OVERRIDE
    CHECK(terminal_safe("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD") == "\\u202a\\u202b\\u202c\\u202d");
    CHECK(terminal_safe("\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9") == "\\u2066\\u2067\\u2068\\u2069");
    CHECK(terminal_safe("\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C") == "\\u200e\\u200f\\u061c");  // LRM RLM ALM
    CHECK(terminal_safe("\xE2\x80\xA8\xE2\x80\xA9") == "\\u2028\\u2029");
  }
  SUBCASE("bytes that are not UTF-8, one \\xHH each") {
    CHECK(terminal_safe("ab\xFF") == "ab\\xff");
    CHECK(terminal_safe("\xC0\xAF") == "\\xc0\\xaf");                    // overlong '/'
    CHECK(terminal_safe("\xED\xA0\x80") == "\\xed\\xa0\\x80");           // surrogate
    CHECK(terminal_safe("x\xE2\x80") == "x\\xe2\\x80");                  // truncated
    CHECK(terminal_safe("\xF4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  }
  SUBCASE("ordinary text is kept byte for byte") {
    for (std::string_view kept :
         {"", "evt_01JD7W4Q9S3K text.incoming.sms ~!{}[]:\"'", "back\\slash \\x1b",
          "caf\xC3\xA9 na\xC3\xAFve \xC3\x85ngstr\xC3\xB6m",                            // accents
          "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xED\x95\x9C",                          // CJK, Hangul
          "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",          // emoji
          "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",  // Hebrew, Arabic
          // neighbours of the escaped ranges: U+00A0, U+00A9, U+2027, U+202F, U+2065, U+206A
          "\xC2\xA0\xC2\xA9\xE2\x80\xA7\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA"}) {
      CAPTURE(kept);
      CHECK(terminal_safe(kept) == kept);
      CHECK(text::excerpt(kept, 1000) == kept);
    }
    CHECK(text::is_printable_ascii("plain text ~"));
    CHECK_FALSE(text::is_printable_ascii("tab\t"));
    CHECK_FALSE(text::is_printable_ascii("\x7f"));
    CHECK_FALSE(text::is_printable_ascii("caf\xC3\xA9"));
  }
  SUBCASE("LineBreaks::keep lets LF, TAB and CR LF through, not a lone CR") {
    CHECK(terminal_safe("{\n\t\"a\": 1\r\n}", text::LineBreaks::keep) == "{\n\t\"a\": 1\r\n}");
    CHECK(terminal_safe("ok\rforged\r\r\n", text::LineBreaks::keep) == "ok\\x0dforged\\x0d\r\n");
    CHECK(terminal_safe("end\r", text::LineBreaks::keep) == "end\\x0d");
    CHECK(terminal_safe("\x1b[2J\n\xC2\x9B", text::LineBreaks::keep) == "\\x1b[2J\n\\u009b");
  }
  SUBCASE("append_terminal_safe appends") {
    std::string out = "type: ";
    text::append_terminal_safe(out, "text.incoming.sms");
    out += " id: ";
    text::append_terminal_safe(out, "evt_\x1b[2J");
    CHECK(out == "type: text.incoming.sms id: evt_\\x1b[2J");
  }
}

TEST_CASE("core::text::terminal_safe never lets a terminal control through, over 20,000 random strings") {
  std::mt19937 random(20261201);
  for (int round = 0; round < 20000; ++round) {
    const std::string s = random_string(random, 40, round % 2 == 0);
    const auto breaks = round % 3 == 0 ? text::LineBreaks::keep : text::LineBreaks::escape;
    CAPTURE(s);
    const std::string out = text::terminal_safe(s, breaks);
    REQUIRE(out == terminal_safe_by_character(s, breaks));
    REQUIRE(holds_nothing_a_terminal_obeys(out, breaks));
    REQUIRE(out.find('\x1b') == std::string::npos);
    REQUIRE(out.find('\x07') == std::string::npos);
    REQUIRE(out.find("\xC2\x9B") == std::string::npos);
    REQUIRE(text::terminal_safe(out, breaks) == out);  // what it gives is left alone
    if (holds_nothing_a_terminal_obeys(s, breaks)) REQUIRE(out == s);
    std::string appended = "> ";
    text::append_terminal_safe(appended, s, breaks);
    REQUIRE(appended == "> " + out);
    const std::string line = text::excerpt(s, random() % 30);
    REQUIRE(holds_nothing_a_terminal_obeys(line, text::LineBreaks::escape));
  }
}

TEST_CASE("core::text::json_terminal_safe escapes what JSON leaves raw, and the value stays the same") {
  const std::string hostile = "evt_\x1b]0;pwned\x07\x1b[2J\u009b2J\x7f\u202e\u2066\u2028 caf\u00e9";
  const std::string dumped = nlohmann::json{{"id", hostile}, {"n", 1}}.dump();
  const std::string safe = text::json_terminal_safe(dumped);
  CHECK(safe ==
        "{\"id\":\"evt_\\u001b]0;pwned\\u0007\\u001b[2J\\u009b2J\\u007f\\u202e\\u2066\\u2028 caf\xC3\xA9\",\"n\":1}");
  CHECK(nlohmann::json::parse(safe)["id"] == hostile);
  CHECK(holds_nothing_a_terminal_obeys(safe, text::LineBreaks::escape));
  // Indented output keeps its line breaks; plain documents come back as they were.
  const std::string indented = nlohmann::json{{"a", "caf\xC3\xA9 \xF0\x9F\x91\x8D"}}.dump(2);
  CHECK(text::json_terminal_safe(indented) == indented);
  CHECK(text::json_terminal_safe("[1,\"x\"]") == "[1,\"x\"]");

  std::mt19937 random(20261202);
  for (int round = 0; round < 5000; ++round) {
    const std::string s = random_string(random, 30, false);
    if (text::find_invalid_utf8(s)) continue;
    CAPTURE(s);
    const std::string out = text::json_terminal_safe(nlohmann::json(s).dump(1));
    REQUIRE(nlohmann::json::parse(out) == s);
    REQUIRE(holds_nothing_a_terminal_obeys(out, text::LineBreaks::keep));
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

TEST_CASE("core::text::plain_json_run stops at the first byte that is not plain, wherever it is in a word") {
  // Every byte value at every position of a 19-byte run (two words and a tail), against the rule
  // applied byte by byte.
  const auto plain = [](unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; };
  std::size_t wrong = 0;
  for (int value = 0; value < 256; ++value) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string bytes(19, 'a');
      bytes[at] = static_cast<char>(value);
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
      const std::size_t expected = plain(static_cast<unsigned char>(value)) ? bytes.size() : at;
      wrong += text::plain_json_run(p, p + bytes.size()) == expected ? 0U : 1U;
    }
  }
  CHECK(wrong == 0);
  // Words holding several of them, in any mix: random runs against the same rule.
  std::uint32_t seed = 12345;
  const auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  const unsigned char pool[] = {'a', '~', ' ', '!', '#', '"', '\\', 0x00, 0x1F, 0x20, 0x21, 0x7F, 0x80, 0xC3, 0xFF, 0x5B, 0x5D};
  for (int round = 0; round < 20'000; ++round) {
    std::string bytes(next() % 40, 'x');
    for (auto& c : bytes) c = static_cast<char>(next() % 4 == 0 ? pool[next() % sizeof pool] : 'a' + next() % 26);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t expected = 0;
    while (expected < bytes.size() && plain(p[expected])) ++expected;
    wrong += text::plain_json_run(p, p + bytes.size()) == expected ? 0U : 1U;
  }
  CHECK(wrong == 0);
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
