// ctg::core — small text functions shared by several modules (UTF-8, suggestions, globs).
// All are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ctg::text {

// Returns the byte offset of the first invalid UTF-8 sequence in `s` (overlong forms, surrogates
// and code points above U+10FFFF are invalid), or nullopt when `s` is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at
// most U+10FFFF) that starts at p[0], a byte >= 0x80, and ends before `end`; 0 when there is none.
// Inline: JSON scanners call it for every non-ASCII character. REQUIRES: p < end.
inline std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) {
  const auto continuation = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return p + i < end && p[i] >= low && p[i] <= high;
  };
  const unsigned char lead = p[0];
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead == 0xE0) return continuation(1, 0xA0) && continuation(2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) return continuation(1) && continuation(2) ? 3 : 0;
  if (lead == 0xED) return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0;
  if (lead == 0xF0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead == 0xF4) return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

// The length of the run of bytes from `p` (before `end`) that can stand between the quotes of a
// JSON string as they are: ASCII from space up, no '"' and no '\\'. Eight bytes at a time (a
// word holds one of the others when a byte is below 0x20, equals '"' or '\\', or has its high bit
// set), then byte by byte within the word that holds one. Inline: the JSON scanners' inner loop.
inline std::size_t plain_json_run(const unsigned char* p, const unsigned char* end) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const unsigned char* start = p;
  while (end - p >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, sizeof w);
    const std::uint64_t quote = w ^ (ones * '"');
    const std::uint64_t backslash = w ^ (ones * '\\');
    const std::uint64_t control = (w - ones * 0x20) & ~w;       // a byte below 0x20
    const std::uint64_t is_quote = (quote - ones) & ~quote;     // a byte equal to '"'
    const std::uint64_t is_backslash = (backslash - ones) & ~backslash;
    if (((control | is_quote | is_backslash | w) & highs) != 0) break;
    p += sizeof w;
  }
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
  return static_cast<std::size_t>(p - start);
}

// True when `s` can stand between the quotes of a JSON string as it is (plain_json_run). Lets hot
// paths skip escaping (and UTF-8 checks) for the usual text.
inline bool is_plain_json_text(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  return plain_json_run(p, p + s.size()) == s.size();
}

// Levenshtein distance between a and b (bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates nearest to `word`, best first: those within a distance that scales with the
// word's length, or sharing a prefix or a dotted segment with it. At most `limit` of them.
std::vector<std::string> nearest(std::string_view word, std::span<const std::string_view> candidates,
                                 std::size_t limit = 3);

// Shell-style match where '*' matches any run of characters and '?' one character.
// `text.*` matches `text.incoming.sms`.
bool glob_match(std::string_view pattern, std::string_view text);

// The first `max_chars` characters of `s` on one line, safe for a terminal: LF, CR, TAB and the
// line and paragraph separators (U+2028, U+2029) become spaces, everything else terminal_safe()
// escapes is escaped by its rule, and an ellipsis marks a cut. A character is a code point of
// valid UTF-8 or one byte that is not; never splits a UTF-8 sequence.
std::string excerpt(std::string_view s, std::size_t max_chars);

// ---- untrusted text on a terminal ----------------------------------------------------------------
//
// Text that came from a request (an event's type or id, a header, a body, a message quoting
// either) may carry escape sequences that retitle, clear or rewrite a terminal, and bidirectional
// formatting characters that reorder what a reader sees. One rule makes it inert:
//   - a C0 control (0x00-0x1F), DEL (0x7F) and every byte that is not part of valid UTF-8 (a raw
//     C1 byte such as 0x9B included) become `\xHH`, two lowercase hex digits: ESC is `\x1b`;
//   - a C1 control written as UTF-8 (U+0080-U+009F), a bidirectional formatting character (U+061C,
//     U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators
//     (U+2028, U+2029) become `\uHHHH`: CSI is `\u009b`, RIGHT-TO-LEFT OVERRIDE `\u202e`;
//   - everything else (printable ASCII, accents, CJK, emoji: any other valid UTF-8) is kept byte
//     for byte, backslashes included: the result is for reading, not for parsing back.
// With LineBreaks::keep (a multi-line body shown under its line), LF, TAB and a CR directly
// followed by LF are kept as well; a lone CR, which would let text overwrite its own line, is not.

enum class LineBreaks { escape, keep };

// `s` by the rule above. The result holds no control character, no bidirectional formatting
// character and no byte that is not UTF-8 (with LineBreaks::keep: none but LF, TAB and CR LF).
std::string terminal_safe(std::string_view s, LineBreaks breaks = LineBreaks::escape);

// Appends terminal_safe(s, breaks) to `out`. Printable ASCII, the usual case, costs one scan and
// one append.
void append_terminal_safe(std::string& out, std::string_view s, LineBreaks breaks = LineBreaks::escape);

// True when `s` is printable ASCII only (0x20-0x7E), which terminal_safe() leaves as it is.
bool is_printable_ascii(std::string_view s);

// `json`, a serialised JSON document in UTF-8 (as nlohmann's dump() writes it), with what JSON
// lets strings hold raw but a terminal must not see written as `\uHHHH` escapes: DEL, C1 controls,
// bidirectional formatting characters, line and paragraph separators, and should any appear, C0
// controls other than LF, CR and TAB (a byte that is not UTF-8 becomes `\ufffd`). The value it
// denotes is unchanged: such characters only occur inside strings. A document of printable ASCII
// and JSON whitespace only is returned as it is, without a copy.
std::string json_terminal_safe(std::string json);

// `s` with leading and trailing ASCII whitespace removed.
std::string_view trim(std::string_view s);

// Splits on `sep`; empty fields are kept.
std::vector<std::string_view> split(std::string_view s, char sep);

// `s` as XML 1.0 text or attribute value: markup and quotes escaped, tab/CR/LF as character
// references, other control characters and bytes that are not UTF-8 as U+FFFD.
std::string xml_text(std::string_view s);

// Quotes a string for a POSIX shell: 'it'\''s'.
std::string shell_quote(std::string_view s);

}  // namespace ctg::text
