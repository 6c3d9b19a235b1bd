#include "ctg/core/text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ctg::text {

namespace {

// One character of a byte string: a code point of valid UTF-8, or one byte that is not.
struct Unit {
  std::size_t len = 1;   // bytes
  std::int32_t cp = -1;  // the code point; -1 for a byte that is not part of valid UTF-8
};

// The character at s[i]. REQUIRES: i < s.size().
Unit decode(std::string_view s, std::size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char c = p[i];
  if (c < 0x80) return {1, c};
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1Fu;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0Fu;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07u;
  } else {
    return {};
  }
  if (i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    if ((p[i + k] & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (p[i + k] & 0x3Fu);
  }
  const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {len, static_cast<std::int32_t>(cp)};
}

bool printable_ascii(unsigned char c) {
  return c >= 0x20 && c < 0x7F;
}

// The code points terminal_safe() escapes: C0 and C1 controls, DEL, bidirectional formatting
// characters, the line and paragraph separators (U+2028..U+202E are contiguous).
bool unsafe_on_terminal(std::int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

constexpr std::string_view k_hex = "0123456789abcdef";

void append_hex(std::string& out, std::uint32_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += k_hex[(value >> shift) & 0xFu];
}

// `\xHH` for a byte (a C0 control, DEL, a byte that is not UTF-8), `\uHHHH` for a code point
// written in more than one byte.
void append_escape(std::string& out, std::string_view s, std::size_t i, Unit unit) {
  if (unit.len == 1) {
    out += "\\x";
    append_hex(out, static_cast<unsigned char>(s[i]), 2);
  } else {
    out += "\\u";
    append_hex(out, static_cast<std::uint32_t>(unit.cp), 4);
  }
}

// The length of the printable ASCII run of `s` from `from`: eight bytes at a time while no byte
// of the eight is below 0x20, DEL or from 0x80 up, then byte by byte.
std::size_t printable_run_end(std::string_view s, std::size_t from) {
  constexpr std::uint64_t k_ones = 0x0101010101010101u;
  constexpr std::uint64_t k_highs = 0x8080808080808080u;
  std::size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t below_space = (w - k_ones * 0x20) & ~w & k_highs;
    const std::uint64_t x = w ^ (k_ones * 0x7F);
    const std::uint64_t del = (x - k_ones) & ~x & k_highs;
    if (((w & k_highs) | below_space | del) != 0) break;
  }
  while (i < s.size() && printable_ascii(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

}  // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const Unit unit = decode(s, i);
    if (unit.cp < 0) return i;
    i += unit.len;
  }
  return std::nullopt;
}

bool is_printable_ascii(std::string_view s) {
  return printable_run_end(s, 0) == s.size();
}

void append_terminal_safe(std::string& out, std::string_view s, LineBreaks breaks) {
  std::size_t i = printable_run_end(s, 0);
  if (i == s.size()) {
    out.append(s);
    return;
  }
  std::size_t run = 0;  // start of the bytes kept as they are, appended in one go
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (printable_ascii(c)) {
      i = printable_run_end(s, i);
      continue;
    }
    const Unit unit = decode(s, i);
    if (unit.cp >= 0 && !unsafe_on_terminal(unit.cp)) {
      i += unit.len;
      continue;
    }
    if (breaks == LineBreaks::keep && (c == '\n' || c == '\t' || (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n'))) {
      ++i;
      continue;
    }
    out.append(s.substr(run, i - run));
    append_escape(out, s, i, unit);
    i += unit.len;
    run = i;
  }
  out.append(s.substr(run));
}

std::string terminal_safe(std::string_view s, LineBreaks breaks) {
  if (is_printable_ascii(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  append_terminal_safe(out, s, breaks);
  return out;
}

std::string json_terminal_safe(std::string json) {
  const std::string_view s = json;
  // The end of the run from `i` of bytes JSON whitespace and printable ASCII, kept as they are.
  const auto plain_run_end = [&](std::size_t i) {
    while ((i = printable_run_end(s, i)) < s.size() && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
    return i;
  };
  std::size_t i = plain_run_end(0);
  if (i == s.size()) return json;
  std::string out;
  out.reserve(s.size() + 16);
  std::size_t run = 0;
  while (i < s.size()) {
    const Unit unit = decode(s, i);
    if (unit.cp >= 0 && !unsafe_on_terminal(unit.cp)) {
      i = plain_run_end(i + unit.len);
      continue;
    }
    out.append(s.substr(run, i - run));
    out += "\\u";
    append_hex(out, unit.cp >= 0 ? static_cast<std::uint32_t>(unit.cp) : 0xFFFDu, 4);
    i += unit.len;
    run = i;
    i = plain_run_end(i);
  }
  out.append(s.substr(run));
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> nearest(std::string_view word, std::span<const std::string_view> candidates,
                                 std::size_t limit) {
  struct Scored {
    std::size_t score;
    std::string_view name;
  };
  std::vector<Scored> scored;
  const std::size_t budget = std::max<std::size_t>(2, word.size() / 3);
  for (auto candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    const bool prefix = !word.empty() && (candidate.starts_with(word) || word.starts_with(candidate));
    bool shares_segment = false;
    for (auto seg : split(word, '.')) {
      if (seg.size() >= 3 && candidate.find(seg) != std::string_view::npos) shares_segment = true;
    }
    if (d <= budget || prefix || shares_segment) {
      // Prefer near spellings, then prefixes, then shared segments.
      if (d > budget) d = budget + (prefix ? 1 : 2) + d;
      scored.push_back({d, candidate});
    }
  }
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) { return x.score < y.score; });
  std::vector<std::string> out;
  for (const auto& s : scored) {
    if (out.size() == limit) break;
    out.emplace_back(s.name);
  }
  return out;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking: linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string excerpt(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  std::size_t i = 0;
  std::size_t run = 0;  // start of the bytes kept as they are, appended in one go
  const auto keep_run = [&] { out.append(s.substr(run, i - run)); };
  while (i < s.size()) {
    if (chars == max_chars) {
      keep_run();
      out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
      return out;
    }
    ++chars;
    if (printable_ascii(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    const Unit unit = decode(s, i);
    if (unit.cp >= 0 && !unsafe_on_terminal(unit.cp)) {
      i += unit.len;
      continue;
    }
    keep_run();
    const bool line_break =
        unit.cp == '\n' || unit.cp == '\r' || unit.cp == '\t' || unit.cp == 0x2028 || unit.cp == 0x2029;
    if (line_break) {
      out += ' ';
    } else {
      append_escape(out, s, i, unit);
    }
    i += unit.len;
    run = i;
  }
  keep_run();
  return out;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view k_space = " \t\r\n\f\v";
  const auto b = s.find_first_not_of(k_space);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(k_space);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string shell_quote(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_./:=@%+,").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string xml_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t len = (u & 0xE0) == 0xC0 ? 2 : (u & 0xF0) == 0xE0 ? 3 : (u & 0xF8) == 0xF0 ? 4 : 1;
      const auto sequence = s.substr(i, len);
      if (sequence.size() == len && len > 1 && !find_invalid_utf8(sequence)) {
        out += sequence;
        i += len;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\t':
        out += "&#9;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (u < 0x20) {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
    ++i;
  }
  return out;
}


}  // namespace ctg::text
