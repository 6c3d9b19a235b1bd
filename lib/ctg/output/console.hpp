// ctg::output — where every command's words go.
//
// stdout carries data only (JSON, tables, header values); stderr carries diagnostics. Colour is
// used only when the stream is a terminal, NO_COLOR is unset and --no-color was not given: the
// caller decides and passes the result in ConsoleOptions. Every line written through a Console
// has each registered secret replaced by "[redacted]", so a secret cannot leak through a message
// that happened to quote it. A Console is not thread-safe; the engines serialise their reports.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ctg/core/error.hpp"

namespace ctg::output {

enum class Verbosity { quiet, normal, verbose };
enum class Color { on, off };

struct ConsoleOptions {
  Color stdout_color = Color::off;  // colour on stdout (tables, checklists)
  Color stderr_color = Color::off;  // colour on stderr (diagnostics)
  Verbosity verbosity = Verbosity::normal;
  bool stdout_is_tty = false;       // interactive niceties (progress) only on a terminal
};

enum class Tone { plain, good, bad, warn, dim, bold };

class Console {
 public:
  Console(std::FILE* out, std::FILE* err, ConsoleOptions options);

  // Data for stdout, written as-is (plus redaction). `data_line` appends '\n'. Text that came
  // from outside (a request, a journal) goes through text::terminal_safe first.
  void data(std::string_view text);
  void data_line(std::string_view text);
  // A JSON document on one line (or indented), then '\n'. Bytes that are not UTF-8 (from a
  // header, argv, a body) become U+FFFD instead of stopping the program; control characters, and
  // what a terminal would obey in a string (C1 controls, DEL, bidirectional overrides), are
  // written as \u escapes (text::json_terminal_safe): the same JSON value, safe to print.
  void data_json(const nlohmann::ordered_json& value, int indent = -1);

  // Diagnostics on stderr, prefixed "ctg: error: ", "ctg: warning: ". error() prints the hint on
  // a second line ("  hint: ..."). warn() is shown unless quiet; note() only when verbose.
  void error(const Error& error);
  void warn(std::string_view message);
  void info(std::string_view message);  // plain line on stderr, hidden when quiet
  void note(std::string_view message);  // "ctg: " line on stderr, only with --verbose

  // `text` wrapped in the escape codes of `tone` when colour is on for that stream.
  std::string paint_out(Tone tone, std::string_view text) const;
  std::string paint_err(Tone tone, std::string_view text) const;

  // Registers a secret (webhook secret, API token) to be redacted from everything written.
  // Secrets shorter than k_min_redacted_secret bytes are not: "s" would turn "false" into
  // "fal[redacted]e" and make JSON output unreadable, and hides nothing a reader could not guess.
  static constexpr std::size_t k_min_redacted_secret = 8;
  void add_secret(std::string secret);
  std::string redact(std::string_view text) const;

  const ConsoleOptions& options() const { return m_options; }

 private:
  void write(std::FILE* stream, std::string_view text);

  std::FILE* m_out;
  std::FILE* m_err;
  ConsoleOptions m_options;
  std::vector<std::string> m_secrets;
};

// Paints text with ANSI SGR codes when `color` is on.
std::string paint(Color color, Tone tone, std::string_view text);

}  // namespace ctg::output
