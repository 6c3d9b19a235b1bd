// ctg::core — small text functions shared by several modules (UTF-8, suggestions, globs).
// All are pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ctg::text {

// Returns the byte offset of the first invalid UTF-8 sequence in `s` (overlong forms, surrogates
// and code points above U+10FFFF are invalid), or nullopt when `s` is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

// True when `s` can stand between the quotes of a JSON string as it is: ASCII from space up, no
// '"' and no '\\'. Lets hot paths skip escaping (and UTF-8 checks) for the usual text.
bool is_plain_json_text(std::string_view s);

// Levenshtein distance between a and b (bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates nearest to `word`, best first: those within a distance that scales with the
// word's length, or sharing a prefix or a dotted segment with it. At most `limit` of them.
std::vector<std::string> nearest(std::string_view word, std::span<const std::string_view> candidates,
                                 std::size_t limit = 3);

// Shell-style match where '*' matches any run of characters and '?' one character.
// `text.*` matches `text.incoming.sms`.
bool glob_match(std::string_view pattern, std::string_view text);

// The first `max_chars` code points of `s` on one line: newlines and tabs become spaces and an
// ellipsis marks a cut. Never splits a UTF-8 sequence.
std::string excerpt(std::string_view s, std::size_t max_chars);

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
