// ctg::check — the findings of `ctg check` and how they are reported: the checklist on a
// terminal, JSON, JUnit XML, the exit code, and an SSL-Labs-style letter grade.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctg::check {

// FAIL: a sender cannot deliver, or delivering is insecure. WARN: fix soon. INFO: worth knowing.
// skip: not examined (and why, in the message).
enum class Severity { pass, info, warn, fail, skip };
std::string_view to_string(Severity severity);

struct Finding {
  std::string id;       // stable: "chain", "validity", "tls1_0", ...
  std::string title;    // "Chain of trust"
  Severity severity = Severity::pass;
  std::string message;  // what was found, one line
  std::string fix;      // for fail and warn: what to do, one line
};

inline Finding finding(std::string id, std::string title, Severity severity, std::string message, std::string fix = {}) {
  return Finding{std::move(id), std::move(title), severity, std::move(message), std::move(fix)};
}

// What the grade is computed from (design.md: protocol 30 %, key exchange 30 %, cipher 40 %).
struct GradeInputs {
  std::vector<int> versions_offered;  // TLS1_3_VERSION, ...
  int key_bits_rsa_equivalent = 0;    // RSA bits, or the RSA strength an EC key matches (P-256: 3072)
  int strongest_cipher_bits = 0;
  int weakest_cipher_bits = 0;
  bool trusted = true;                // else capped at T
  bool name_matches = true;           // else capped at M
  bool valid_now = true;              // expired or not yet valid: T
  bool hsts_long = false;             // max-age of at least 180 days: A+ when the rest is A
  bool any_warning = false;           // no A+ with warnings
};

struct Grade {
  std::string letter;  // "A+", "A", ..., "F", or a cap: "T" (trust), "M" (name mismatch)
  int score = 0;       // 0..100 before caps
};
Grade grade(const GradeInputs& inputs);

struct Report {
  std::string url;
  std::vector<Finding> findings;
  std::int64_t duration_ms = 0;
  std::optional<Grade> grade;

  // The worst severity among the findings (pass when there are none).
  Severity worst() const;
};

// 0 when nothing fails (WARN fails too with fail_on_warn), else 1.
int exit_code(const Report& report, bool fail_on_warn);

// "pass", "warn" or "fail": the worst of pass/warn/fail (INFO and skip count as pass).
std::string_view verdict(const Report& report);

// The checklist, one line per finding ("✓ Chain of trust: ..."), a "fix: ..." line under each
// FAIL and WARN, and a last line with the verdict and the time taken. `paint`, when given, wraps
// each mark (colour on a terminal).
using Painter = std::function<std::string(Severity, std::string_view mark)>;
std::vector<std::string> text_lines(const Report& report, const Painter& paint = {});

// {"url","verdict","exit_code","duration_ms","grade"?,"score"?,"checks":[{"id","title","severity","message","fix"?}]}
std::string to_json(const Report& report, int exit_code);

// A testsuite "ctg check" with a testcase per finding: failure for FAIL (and for WARN when
// fail_on_warn), skipped for skip, and the message as system-out otherwise.
std::string to_junit(const Report& report, bool fail_on_warn);

}  // namespace ctg::check
