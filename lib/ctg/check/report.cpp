#include "ctg/check/report.hpp"

#include <openssl/tls1.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"

namespace ctg::check {

namespace {

// SSL Labs' SSL Server Rating Guide: the score of each protocol version, key strength and cipher
// strength, and the letters' bands.
int protocol_score(int version) {
  switch (version) {
    case TLS1_3_VERSION:
    case TLS1_2_VERSION: return 100;
    case TLS1_1_VERSION: return 95;
    case TLS1_VERSION: return 90;
    case SSL3_VERSION: return 80;
    default: return 0;
  }
}

int key_exchange_score(int bits) {
  if (bits <= 0) return 0;
  if (bits < 512) return 20;
  if (bits < 1024) return 40;
  if (bits < 2048) return 80;
  if (bits < 4096) return 90;
  return 100;
}

int cipher_score(int bits) {
  if (bits <= 0) return 0;
  if (bits < 128) return 20;
  if (bits < 256) return 80;
  return 100;
}

std::string letter_for(int score) {
  if (score >= 80) return "A";
  if (score >= 65) return "B";
  if (score >= 50) return "C";
  if (score >= 35) return "D";
  if (score >= 20) return "E";
  return "F";
}

// The worse of two letters (A+ < A < B ... < F).
std::string worse(const std::string& a, const std::string& b) {
  const auto rank = [](const std::string& letter) {
    if (letter == "A+") return 0;
    return 1 + (letter.empty() ? 0 : letter[0] - 'A');
  };
  return rank(a) >= rank(b) ? a : b;
}

std::string_view mark(Severity severity) {
  switch (severity) {
    case Severity::pass: return "\xE2\x9C\x93";  // ✓
    case Severity::info: return "i";
    case Severity::warn: return "!";
    case Severity::fail: return "\xE2\x9C\x97";  // ✗
    case Severity::skip: return "-";
  }
  return "?";
}

bool counts_as_failure(Severity severity, bool fail_on_warn) {
  return severity == Severity::fail || (fail_on_warn && severity == Severity::warn);
}

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::pass: return "pass";
    case Severity::info: return "info";
    case Severity::warn: return "warn";
    case Severity::fail: return "fail";
    case Severity::skip: return "skip";
  }
  return "?";
}

Grade grade(const GradeInputs& in) {
  Grade g;
  if (in.versions_offered.empty()) {
    g.letter = "F";
    return g;
  }
  int best = 0;
  int worst = 100;
  for (const int version : in.versions_offered) {
    best = std::max(best, protocol_score(version));
    worst = std::min(worst, protocol_score(version));
  }
  const int protocol = (best + worst) / 2;
  const int key = key_exchange_score(in.key_bits_rsa_equivalent);
  const int cipher = (cipher_score(in.strongest_cipher_bits) + cipher_score(in.weakest_cipher_bits)) / 2;
  g.score = (30 * protocol + 30 * key + 40 * cipher) / 100;
  std::string letter = letter_for(g.score);
  const auto offered = [&](int version) {
    return std::find(in.versions_offered.begin(), in.versions_offered.end(), version) != in.versions_offered.end();
  };
  if (offered(TLS1_VERSION) || offered(TLS1_1_VERSION)) letter = worse(letter, "B");
  if (offered(SSL3_VERSION) || in.key_bits_rsa_equivalent < 1024) letter = "F";
  if (letter == "A" && in.hsts_long && !in.any_warning) letter = "A+";
  // Trust and name problems replace the letter: a sender cannot deliver at all.
  if (!in.trusted || !in.valid_now) letter = "T";
  else if (!in.name_matches) letter = "M";
  g.letter = letter;
  return g;
}

Severity Report::worst() const {
  Severity result = Severity::pass;
  for (const auto& f : findings) {
    if (f.severity == Severity::fail) return Severity::fail;
    if (f.severity == Severity::warn) result = Severity::warn;
  }
  return result;
}

int exit_code(const Report& report, bool fail_on_warn) {
  return counts_as_failure(report.worst(), fail_on_warn) ? 1 : 0;
}

std::string_view verdict(const Report& report) {
  return to_string(report.worst());
}

std::vector<std::string> text_lines(const Report& report, const Painter& paint) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("ctg check {}", report.url));
  std::size_t fails = 0;
  std::size_t warns = 0;
  for (const auto& f : report.findings) {
    const std::string_view m = mark(f.severity);
    lines.push_back(fmt::format("  {} {}: {}", paint ? paint(f.severity, m) : std::string(m), f.title, f.message));
    if ((f.severity == Severity::fail || f.severity == Severity::warn) && !f.fix.empty()) {
      lines.push_back(fmt::format("      fix: {}", f.fix));
    }
    fails += f.severity == Severity::fail ? 1U : 0U;
    warns += f.severity == Severity::warn ? 1U : 0U;
  }
  std::string last = fails > 0   ? fmt::format("FAIL: {} failed, {} to fix soon", fails, warns)
                     : warns > 0 ? fmt::format("PASS with {} warning{}", warns, warns == 1 ? "" : "s")
                                 : std::string("PASS");
  if (report.grade) last += fmt::format(" · grade {} ({}/100)", report.grade->letter, report.grade->score);
  last += fmt::format(" · {} ms", report.duration_ms);
  lines.push_back(last);
  return lines;
}

std::string to_json(const Report& report, int exit_code) {
  nlohmann::ordered_json out;
  out["url"] = report.url;
  out["verdict"] = verdict(report);
  out["exit_code"] = exit_code;
  out["duration_ms"] = report.duration_ms;
  if (report.grade) {
    out["grade"] = report.grade->letter;
    out["score"] = report.grade->score;
  }
  auto checks = nlohmann::ordered_json::array();
  for (const auto& f : report.findings) {
    nlohmann::ordered_json c;
    c["id"] = f.id;
    c["title"] = f.title;
    c["severity"] = to_string(f.severity);
    c["message"] = f.message;
    if ((f.severity == Severity::fail || f.severity == Severity::warn) && !f.fix.empty()) c["fix"] = f.fix;
    checks.push_back(std::move(c));
  }
  out["checks"] = std::move(checks);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string to_junit(const Report& report, bool fail_on_warn) {
  std::size_t failures = 0;
  std::size_t skipped = 0;
  for (const auto& f : report.findings) {
    failures += counts_as_failure(f.severity, fail_on_warn) ? 1U : 0U;
    skipped += f.severity == Severity::skip ? 1U : 0U;
  }
  const double seconds = static_cast<double>(report.duration_ms) / 1000.0;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites name=\"ctg check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     report.findings.size(), failures, skipped, seconds);
  xml += fmt::format("  <testsuite name=\"ctg check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     report.findings.size(), failures, skipped, seconds);
  xml += fmt::format("    <properties><property name=\"url\" value=\"{}\"/></properties>\n", text::xml_text(report.url));
  for (const auto& f : report.findings) {
    xml += fmt::format("    <testcase classname=\"ctg.check\" name=\"{}\">\n", text::xml_text(f.title));
    const std::string detail = f.fix.empty() ? f.message : fmt::format("{} (fix: {})", f.message, f.fix);
    if (counts_as_failure(f.severity, fail_on_warn)) {
      xml += fmt::format("      <failure type=\"{}\" message=\"{}\"/>\n", to_string(f.severity), text::xml_text(detail));
    } else if (f.severity == Severity::skip) {
      xml += fmt::format("      <skipped message=\"{}\"/>\n", text::xml_text(f.message));
    } else {
      xml += fmt::format("      <system-out>{}: {}</system-out>\n", to_string(f.severity), text::xml_text(detail));
    }
    xml += "    </testcase>\n";
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace ctg::check
