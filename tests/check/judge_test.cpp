// check: the judgements that need no network — validity thresholds, key strength, latency, the
// letter grade, exit codes and the JSON and JUnit reports — and chain verification against
// certificates made here with ctg::tls (trusted, incomplete, self-signed, untrusted root, expired).
#include <doctest/doctest.h>
#include <openssl/tls1.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "ctg/check/judge.hpp"
#include "ctg/check/report.hpp"
#include "ctg/check/trust.hpp"
#include "ctg/core/file.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/tls/certificate.hpp"

using namespace ctg;
using namespace ctg::check;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t k_day = 86'400;
constexpr std::int64_t k_now = 1'795'000'000;  // 2026-11-18

TEST_CASE("validity: FAIL when expired or not yet valid, WARN at 30 days or less, INFO at 60 or less") {
  CHECK(judge_validity(k_now - 10 * k_day, k_now - k_day, k_now).severity == Severity::fail);
  CHECK(judge_validity(k_now - 10 * k_day, k_now - k_day, k_now).message.find("expired on") != std::string::npos);
  CHECK(judge_validity(k_now + k_day, k_now + 90 * k_day, k_now).severity == Severity::fail);
  CHECK(judge_validity(k_now + k_day, k_now + 90 * k_day, k_now).message.find("not valid until") != std::string::npos);
  CHECK(judge_validity(k_now - k_day, k_now + 30 * k_day, k_now).severity == Severity::warn);
  CHECK(judge_validity(k_now - k_day, k_now + 31 * k_day, k_now).severity == Severity::info);
  CHECK(judge_validity(k_now - k_day, k_now + 60 * k_day, k_now).severity == Severity::info);
  CHECK(judge_validity(k_now - k_day, k_now + 61 * k_day, k_now).severity == Severity::pass);
  const auto warn = judge_validity(k_now - k_day, k_now + 20 * k_day, k_now);
  CHECK(warn.message == "valid until 2026-12-08 (20 days left)");
  CHECK_FALSE(warn.fix.empty());
}

TEST_CASE("key strength: RSA below 2048 bits and EC below P-256 fail") {
  CHECK(judge_key("RSA", 2048).severity == Severity::pass);
  CHECK(judge_key("RSA", 1024).severity == Severity::fail);
  CHECK(judge_key("RSA", 1024).message == "RSA 1024 bits: too weak to trust");
  CHECK(judge_key("EC", 256).severity == Severity::pass);
  CHECK(judge_key("EC", 224).severity == Severity::fail);
  CHECK(judge_key("ED25519", 253).severity == Severity::pass);
  CHECK(rsa_equivalent_bits("EC", 256) == 3072);
  CHECK(rsa_equivalent_bits("EC", 384) == 7680);
  CHECK(rsa_equivalent_bits("RSA", 4096) == 4096);
}

TEST_CASE("latency: WARN over the budget, FAIL over a sender's 5 s or on a timeout") {
  const Phases quick{.dns = 1ms, .connect = 20ms, .tls = 40ms, .first_byte = 89ms};
  CHECK(judge_latency(quick, 2000ms, false).severity == Severity::pass);
  CHECK(judge_latency(quick, 2000ms, false).message ==
        "150 ms from DNS to the answer's first byte (DNS 1.0, connect 20.0, TLS 40.0, answer 89.0)");
  const Phases slow{.first_byte = 2500ms};
  CHECK(judge_latency(slow, 2000ms, false).severity == Severity::warn);
  CHECK(judge_latency(slow, 2000ms, false).message.find("over the budget of 2000 ms") != std::string::npos);
  CHECK(judge_latency(Phases{.first_byte = 6000ms}, 10000ms, false).severity == Severity::fail);
  CHECK(judge_latency(Phases{.first_byte = 10ms}, 2000ms, true).severity == Severity::fail);
}

TEST_CASE("grade: SSL Labs' weights and bands, with the caps for legacy protocols, trust and names") {
  GradeInputs modern{.versions_offered = {TLS1_3_VERSION, TLS1_2_VERSION},
                     .key_bits_rsa_equivalent = 3072,
                     .strongest_cipher_bits = 256,
                     .weakest_cipher_bits = 128};
  const auto a = grade(modern);
  CHECK(a.score == 93);  // 0.3 * 100 + 0.3 * 90 + 0.4 * (100 + 80) / 2
  CHECK(a.letter == "A");

  auto hsts = modern;
  hsts.hsts_long = true;
  CHECK(grade(hsts).letter == "A+");
  hsts.any_warning = true;
  CHECK(grade(hsts).letter == "A");

  auto legacy = modern;
  legacy.versions_offered.push_back(TLS1_VERSION);
  CHECK(grade(legacy).letter == "B");  // capped, although the score is still an A's

  auto untrusted = modern;
  untrusted.trusted = false;
  CHECK(grade(untrusted).letter == "T");
  auto expired = modern;
  expired.valid_now = false;
  CHECK(grade(expired).letter == "T");
  auto mismatch = modern;
  mismatch.name_matches = false;
  CHECK(grade(mismatch).letter == "M");

  auto weak_key = modern;
  weak_key.key_bits_rsa_equivalent = 1000;
  CHECK(grade(weak_key).letter == "F");
  auto ssl3 = modern;
  ssl3.versions_offered.push_back(SSL3_VERSION);
  CHECK(grade(ssl3).letter == "F");
  CHECK(grade(GradeInputs{}).letter == "F");  // nothing offered
}

Report sample_report() {
  Report r;
  r.url = "https://example.com/hook?a=<b>";
  r.duration_ms = 42;
  r.findings = {
      {"scheme", "URL scheme", Severity::pass, "https", ""},
      {"validity", "Validity", Severity::warn, "valid until 2026-12-08 (20 days left)", "renew the certificate now"},
      {"ssl3", "SSLv3", Severity::skip, "not probed", ""},
      {"hsts", "HSTS", Severity::info, "not sent", ""},
  };
  return r;
}

TEST_CASE("exit code: 0 without FAIL, 1 with one; --fail-on warn makes WARN fail") {
  auto r = sample_report();
  CHECK(exit_code(r, false) == 0);
  CHECK(exit_code(r, true) == 1);
  CHECK(verdict(r) == "warn");
  r.findings.push_back({"chain", "Chain of trust", Severity::fail, "self-signed", "use a public CA"});
  CHECK(exit_code(r, false) == 1);
  CHECK(verdict(r) == "fail");
}

TEST_CASE("reports: the checklist marks each finding, JSON carries every check, JUnit fails WARN only when asked") {
  const auto r = sample_report();
  const auto lines = text_lines(r);
  REQUIRE(lines.size() == 7);  // heading, four findings, one fix, the verdict
  CHECK(lines[1] == "  \xE2\x9C\x93 URL scheme: https");
  CHECK(lines[2] == "  ! Validity: valid until 2026-12-08 (20 days left)");
  CHECK(lines[3] == "      fix: renew the certificate now");
  CHECK(lines.back() == "PASS with 1 warning \xC2\xB7 42 ms");

  const auto json = nlohmann::json::parse(to_json(r, 0));
  CHECK(json["verdict"] == "warn");
  CHECK(json["exit_code"] == 0);
  REQUIRE(json["checks"].size() == 4);
  CHECK(json["checks"][1]["id"] == "validity");
  CHECK(json["checks"][1]["fix"] == "renew the certificate now");
  CHECK_FALSE(json["checks"][0].contains("fix"));
  CHECK_FALSE(json.contains("grade"));

  const auto lenient = to_junit(r, false);
  CHECK(lenient.find("failures=\"0\"") != std::string::npos);
  CHECK(lenient.find("skipped=\"1\"") != std::string::npos);
  CHECK(lenient.find("value=\"https://example.com/hook?a=&lt;b&gt;\"") != std::string::npos);
  const auto strict = to_junit(r, true);
  CHECK(strict.find("failures=\"1\"") != std::string::npos);
  CHECK(strict.find("<failure type=\"warn\"") != std::string::npos);
}

// ---- chain verification ------------------------------------------------------------------------

struct Chain {
  tls::Issued root, intermediate, leaf, expired_leaf, self_signed;
  std::string root_file;

  Chain() {
    const auto key = [] { return *tls::generate_key(tls::KeyType::ec_p256); };
    root = *tls::self_signed({.common_name = "Check Test Root", .not_before = k_now - 10 * k_day,
                              .not_after = k_now + 3650 * k_day, .is_ca = true},
                             key());
    intermediate = *tls::issue({.common_name = "Check Test Intermediate", .not_before = k_now - 10 * k_day,
                                .not_after = k_now + 1000 * k_day, .is_ca = true},
                               key(), root);
    leaf = *tls::issue({.dns_names = {"hooks.example.com", "*.api.example.com"}, .ip_addresses = {"127.0.0.1"},
                        .not_before = k_now - k_day, .not_after = k_now + 90 * k_day},
                       key(), intermediate);
    expired_leaf = *tls::issue({.dns_names = {"hooks.example.com"}, .not_before = k_now - 100 * k_day,
                                .not_after = k_now - k_day},
                               key(), intermediate);
    self_signed = *tls::self_signed({.dns_names = {"localhost"}, .not_before = k_now - k_day, .not_after = k_now + 90 * k_day},
                                    key());
    root_file = (std::filesystem::temp_directory_path() / "ctg-check-test-root.pem").string();
    REQUIRE(file::write_private(root_file, root.certificate_pem, 0644).has_value());
  }
  ~Chain() { std::filesystem::remove(root_file); }
};

TEST_CASE("chain: only the certificates served count; a missing intermediate is named") {
  const Chain c;
  const TrustStore store{.ca_file = c.root_file};

  auto full = verify_chain({c.leaf.certificate_pem, c.intermediate.certificate_pem}, store, k_now);
  REQUIRE(full.has_value());
  CHECK(full->outcome == Trust::Outcome::trusted);
  CHECK(full->anchor == "Check Test Root");
  CHECK(full->chain_length == 3);

  auto leaf_only = verify_chain({c.leaf.certificate_pem}, store, k_now);
  REQUIRE(leaf_only.has_value());
  CHECK(leaf_only->outcome == Trust::Outcome::incomplete);
  CHECK(leaf_only->last_issuer == "Check Test Intermediate");

  // The leaf's expiry is the validity finding's: the chain itself still verifies.
  auto expired = verify_chain({c.expired_leaf.certificate_pem, c.intermediate.certificate_pem}, store, k_now);
  REQUIRE(expired.has_value());
  CHECK(expired->outcome == Trust::Outcome::trusted);

  auto self = verify_chain({c.self_signed.certificate_pem}, store, k_now);
  REQUIRE(self.has_value());
  CHECK(self->outcome == Trust::Outcome::self_signed);

  // The system store does not know the test root, which the server sends along here.
  auto private_root = verify_chain(
      {c.leaf.certificate_pem, c.intermediate.certificate_pem, c.root.certificate_pem}, TrustStore{}, k_now);
  REQUIRE(private_root.has_value());
  CHECK(private_root->outcome == Trust::Outcome::untrusted_root);
  CHECK(private_root->anchor == "Check Test Root");

  CHECK_FALSE(verify_chain({"not a certificate"}, store, k_now).has_value());
}

TEST_CASE("hostname: SAN DNS names with wildcards, and SAN IP addresses") {
  const Chain c;
  CHECK(matches_host(c.leaf.certificate_pem, "hooks.example.com"));
  CHECK(matches_host(c.leaf.certificate_pem, "v2.api.example.com"));
  CHECK_FALSE(matches_host(c.leaf.certificate_pem, "a.b.api.example.com"));  // a wildcard covers one label
  CHECK_FALSE(matches_host(c.leaf.certificate_pem, "example.com"));
  CHECK(matches_host(c.leaf.certificate_pem, "127.0.0.1"));
  CHECK_FALSE(matches_host(c.leaf.certificate_pem, "127.0.0.2"));
}

TEST_CASE("a CA file that cannot be read or holds no certificate is refused before anything is sent") {
  CHECK(net::check_ca_file("/nonexistent/ca.pem").error().kind == ErrorKind::io);
  const auto path = (std::filesystem::temp_directory_path() / "ctg-check-test-empty.pem").string();
  REQUIRE(file::write_private(path, "nothing here\n", 0644).has_value());
  CHECK(net::check_ca_file(path).error().kind == ErrorKind::usage);
  std::filesystem::remove(path);
}

}  // namespace
