#include "ctg/output/console.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"

namespace ctg::output {

namespace {
constexpr std::string_view k_redacted = "[redacted]";

std::string_view sgr(Tone tone) {
  switch (tone) {
    case Tone::good: return "\x1b[32m";
    case Tone::bad: return "\x1b[31m";
    case Tone::warn: return "\x1b[33m";
    case Tone::dim: return "\x1b[2m";
    case Tone::bold: return "\x1b[1m";
    case Tone::plain: return "";
  }
  return "";
}
}  // namespace

std::string paint(Color color, Tone tone, std::string_view text) {
  if (color == Color::off || tone == Tone::plain) return std::string(text);
  std::string out(sgr(tone));
  out.append(text);
  out.append("\x1b[0m");
  return out;
}

Console::Console(std::FILE* out, std::FILE* err, ConsoleOptions options)
    : m_out(out), m_err(err), m_options(options) {}

void Console::add_secret(std::string secret) {
  if (secret.size() < k_min_redacted_secret) return;
  if (std::find(m_secrets.begin(), m_secrets.end(), secret) != m_secrets.end()) return;
  m_secrets.push_back(std::move(secret));
  // Longest first, so that a secret containing another is redacted whole.
  std::sort(m_secrets.begin(), m_secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Console::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : m_secrets) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), k_redacted);
      pos += k_redacted.size();
    }
  }
  return out;
}

void Console::write(std::FILE* stream, std::string_view text) {
  if (m_secrets.empty()) {
    std::fwrite(text.data(), 1, text.size(), stream);
  } else {
    const std::string clean = redact(text);
    std::fwrite(clean.data(), 1, clean.size(), stream);
  }
}

void Console::data(std::string_view text) { write(m_out, text); }

void Console::data_line(std::string_view text) {
  write(m_out, text);
  std::fputc('\n', m_out);
}

void Console::data_json(const nlohmann::ordered_json& value, int indent) {
  data_line(text::json_terminal_safe(value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace)));
}

void Console::error(const Error& error) {
  std::fflush(m_out);
  std::string line = paint_err(Tone::bad, "ctg: error:");
  line += ' ';
  line += error.message;
  line += '\n';
  if (!error.hint.empty()) {
    line += "  hint: ";
    line += error.hint;
    line += '\n';
  }
  write(m_err, line);
  std::fflush(m_err);
}

void Console::warn(std::string_view message) {
  if (m_options.verbosity == Verbosity::quiet) return;
  std::string line = paint_err(Tone::warn, "ctg: warning:");
  line += ' ';
  line += message;
  line += '\n';
  write(m_err, line);
}

void Console::info(std::string_view message) {
  if (m_options.verbosity == Verbosity::quiet) return;
  std::string line(message);
  line += '\n';
  write(m_err, line);
}

void Console::note(std::string_view message) {
  if (m_options.verbosity != Verbosity::verbose) return;
  std::string line = paint_err(Tone::dim, "ctg:");
  line += ' ';
  line += message;
  line += '\n';
  write(m_err, line);
}

std::string Console::paint_out(Tone tone, std::string_view text) const {
  return paint(m_options.stdout_color, tone, text);
}

std::string Console::paint_err(Tone tone, std::string_view text) const {
  return paint(m_options.stderr_color, tone, text);
}

}  // namespace ctg::output
