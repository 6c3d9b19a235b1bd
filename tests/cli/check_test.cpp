// ctg check end to end: the built binary against real TLS servers on loopback (check_support.hpp),
// each serving one certificate or configuration a webhook sender would trip over: a missing
// intermediate, dates out of range, another host's name, a weak key or signature, a self-signed
// leaf, TLS 1.0, a redirect, a 500, a slow answer; and against a port nobody listens on. Each test
// asserts the severity of the check the contract names, the exit code, and what the server received.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "check_support.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/signing/signature.hpp"
#include "process.hpp"

using namespace ctg;
using namespace ctg::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* k_secret = "whsec_check_test_secret";

const std::set<std::string> k_check_ids{
    "scheme",          "dns",    "connect",      "handshake",      "chain",         "hostname",
    "validity",        "key",    "signature",    "lifetime",       "tls1_3",        "tls1_2",
    "tls1_1",          "tls1_0", "ssl3",         "protocol_floor", "weak_ciphers",  "3des",
    "forward_secrecy", "aead",   "http_post",    "redirect",       "signed_sample", "forged_sample",
    "latency",         "hsts",   "ocsp_stapling"};

// A receiver doing its job: 200 to a correctly signed delivery, 401 to anything else.
HttpReply verifying(const ReceivedRequest& request) {
  const std::vector<std::string> secrets{k_secret};
  const auto verdict =
      signing::verify(request.header(signing::k_header_name).value_or(""), secrets, request.body, unix_now());
  if (!verdict.valid()) return {.status = 401, .body = R"({"error":"signature_mismatch"})"};
  return {};
}

// A server with `certificate` and a verifying receiver behind it.
TlsServerOptions verifying_server(ServerCertificate certificate) {
  return {.certificate = std::move(certificate), .reply = verifying};
}

const std::string& root_ca() {
  return check_pki().root_ca_file;
}

struct CheckRun {
  ProcessResult process;
  json report;

  // The check with `id`, or null when the report has none.
  json check(std::string_view id) const {
    for (const auto& c : report["checks"])
      if (c["id"].get<std::string>() == id) return c;
    return nullptr;
  }
  // Its severity ("pass", "info", "warn", "fail", "skip"), or "absent".
  std::string severity(std::string_view id) const {
    const auto c = check(id);
    return c.is_null() ? "absent" : c["severity"].get<std::string>();
  }
  std::string message(std::string_view id) const {
    const auto c = check(id);
    return c.is_null() ? "" : c["message"].get<std::string>();
  }
};

// `ctg check URL --json FLAGS...` with the webhook secret set; the report parsed.
CheckRun run_check(const std::string& url, const std::vector<std::string>& flags = {}) {
  std::vector<std::string> args{"check", url, "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  CheckRun run{run_ctg(args, {.env = {{"CONTIGUITY_WEBHOOK_SECRET", k_secret}}}), nullptr};
  INFO(run.process.out, run.process.err);
  run.report = json::parse(run.process.out, nullptr, false);
  REQUIRE(run.report.is_object());
  CHECK(run.report["exit_code"] == run.process.exit_code);
  return run;
}

std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int count_severity(const json& report, std::string_view severity) {
  int n = 0;
  for (const auto& c : report["checks"]) n += c["severity"] == severity ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("cli: check passes a well-run endpoint behind a private CA, and sends it a signed sample") {
  TlsServer server(verifying_server(check_pki().valid));
  const auto run = run_check(server.url(), {"--ca-file", root_ca()});
  INFO(run.process.out, run.process.err);
  CHECK(run.process.exit_code == 0);
  CHECK(run.report["url"] == server.url());
  CHECK(run.report["verdict"] == "warn");  // the private CA
  CHECK(run.severity("chain") == "warn");
  for (const auto* id :
       {"hostname", "validity", "key", "signature", "tls1_0", "tls1_1", "redirect", "signed_sample", "forged_sample"}) {
    INFO(id);
    CHECK(run.severity(id) == "pass");
  }
  CHECK((run.severity("tls1_2") == "pass" || run.severity("tls1_3") == "pass"));
  CHECK(run.report["duration_ms"].get<std::int64_t>() < 2000);
  CHECK(server.handshakes() > 0);

  // What a receiver sees: JSON events POSTed with a signature, one of which verifies and one not.
  const auto requests = server.requests();
  int signed_correctly = 0;
  int refused = 0;
  for (const auto& request : requests) {
    CHECK(request.method == "POST");
    CHECK(request.header("Content-Type").value_or("").starts_with("application/json"));
    const auto body = json::parse(request.body, nullptr, false);
    REQUIRE(body.is_object());
    CHECK(body["id"].get<std::string>().starts_with("evt_"));
    CHECK(body["type"].is_string());
    if (verifying(request).status == 200) {
      ++signed_correctly;
    } else {
      ++refused;
    }
  }
  CHECK(signed_correctly >= 1);
  CHECK(refused >= 1);  // the forged sample reached the receiver, and the receiver said no
}

TEST_CASE("cli: check --json names each check once, and gives a fix for every fail and warn") {
  TlsServer server(verifying_server(check_pki().missing_intermediate));
  const auto run = run_check(server.url(), {"--ca-file", root_ca()});
  INFO(run.process.out);
  CHECK(run.report["verdict"] == "fail");
  CHECK_FALSE(run.report.contains("grade"));  // only with --grade
  std::set<std::string> seen;
  for (const auto& c : run.report["checks"]) {
    const auto id = c["id"].get<std::string>();
    INFO(id);
    CHECK(k_check_ids.contains(id));
    CHECK(seen.insert(id).second);
    CHECK_FALSE(c["title"].get<std::string>().empty());
    const auto severity = c["severity"].get<std::string>();
    CHECK(std::set<std::string>{"pass", "info", "warn", "fail", "skip"}.contains(severity));
    if (severity == "fail" || severity == "warn") {
      CHECK_FALSE(c.value("fix", "").empty());
    } else {
      CHECK_FALSE(c.contains("fix"));
    }
  }
  CHECK(seen.contains("chain"));
}

TEST_CASE("cli: check fails a server that leaves out the intermediate certificate") {
  TlsServer server(verifying_server(check_pki().missing_intermediate));
  const auto run = run_check(server.url(), {"--ca-file", root_ca()});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 1);
  CHECK(run.severity("chain") == "fail");
  const auto message = lowercase(run.message("chain"));
  CHECK((message.find("intermediate") != std::string::npos || message.find("full chain") != std::string::npos));
}

TEST_CASE("cli: check judges the certificate's dates") {
  SUBCASE("expired: fail") {
    TlsServer server(verifying_server(check_pki().expired));
    const auto run = run_check(server.url(), {"--ca-file", root_ca()});
    INFO(run.process.out);
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("validity") == "fail");
  }
  SUBCASE("not yet valid: fail") {
    TlsServer server(verifying_server(check_pki().not_yet_valid));
    const auto run = run_check(server.url(), {"--ca-file", root_ca()});
    INFO(run.process.out);
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("validity") == "fail");
  }
  SUBCASE("20 days left: warn, which fails only with --fail-on warn") {
    TlsServer server(verifying_server(check_pki().expiring_soon));
    auto run = run_check(server.url(), {"--ca-file", root_ca()});
    INFO(run.process.out);
    CHECK(run.process.exit_code == 0);
    CHECK(run.severity("validity") == "warn");
    run = run_check(server.url(), {"--ca-file", root_ca(), "--fail-on", "warn"});
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("validity") == "warn");
  }
}

TEST_CASE("cli: check fails a certificate made out to another host") {
  TlsServer server(verifying_server(check_pki().wrong_host));
  const auto run = run_check(server.url(), {"--ca-file", root_ca()});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 1);
  CHECK(run.severity("hostname") == "fail");
}

TEST_CASE("cli: check fails a self-signed certificate, unless --ca-file trusts it for local work") {
  TlsServer server(verifying_server(check_pki().self_signed));
  SUBCASE("not trusted: fail") {
    const auto run = run_check(server.url());
    INFO(run.process.out);
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("chain") == "fail");
  }
  SUBCASE("trusted with --ca-file: warn") {
    const auto run = run_check(server.url(), {"--ca-file", check_pki().self_signed.chain_file});
    INFO(run.process.out);
    CHECK(run.severity("chain") == "warn");
  }
}

TEST_CASE("cli: check fails weak certificates") {
  // The server needs security level 0 to load them at all; it still speaks only TLS 1.2 and 1.3.
  const auto weak_server = [](ServerCertificate certificate) {
    auto options = verifying_server(std::move(certificate));
    options.security_level = 0;
    return options;
  };
  SUBCASE("an RSA-1024 key") {
    TlsServer server(weak_server(check_pki().rsa_1024));
    const auto run = run_check(server.url(), {"--ca-file", root_ca()});
    INFO(run.process.out);
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("key") == "fail");
  }
  SUBCASE("a SHA-1 signature") {
    TlsServer server(weak_server(check_pki().sha1_signed));
    const auto run = run_check(server.url(), {"--ca-file", root_ca()});
    INFO(run.process.out);
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("signature") == "fail");
  }
}

TEST_CASE("cli: check warns about a server that still offers TLS 1.0 and 1.1") {
  auto options = legacy_options(check_pki().valid);
  options.reply = verifying;
  TlsServer server(options);
  const auto run = run_check(server.url(), {"--ca-file", root_ca()});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 0);
  CHECK(run.severity("tls1_0") == "warn");
  CHECK(run.severity("tls1_1") == "warn");
}

TEST_CASE("cli: check fails a server that offers nothing newer than TLS 1.1, and grades it no better than B") {
  auto options = legacy_options(check_pki().valid);
  options.max_version = TlsVersion::tls1_1;
  options.reply = verifying;
  TlsServer server(options);
  const auto run = run_check(server.url(), {"--ca-file", root_ca(), "--grade"});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 1);
  CHECK(run.severity("protocol_floor") == "fail");
  CHECK(run.severity("tls1_2") == "info");
  CHECK(run.severity("tls1_3") == "info");
  CHECK(run.severity("tls1_0") == "warn");
  // The handshake and the sample still happen: a sender could deliver, but over a legacy protocol.
  CHECK(run.severity("handshake") == "pass");
  CHECK(run.severity("signed_sample") == "pass");
  const auto letter = run.report["grade"].get<std::string>();
  CHECK((letter == "B" || letter == "C"));
}

TEST_CASE("cli: check fails an endpoint that redirects, naming where to") {
  for (const int status : {301, 302}) {
    INFO(status);
    TlsServer server(
        {.certificate = check_pki().valid, .reply = [status](const ReceivedRequest&) {
           return HttpReply{.status = status, .headers = {{"Location", "https://hooks.example.com/moved"}}, .body = ""};
         }});
    const auto run = run_check(server.url(), {"--ca-file", root_ca()});
    INFO(run.process.out);
    CHECK(run.process.exit_code == 1);
    CHECK(run.severity("redirect") == "fail");
    CHECK(run.message("redirect").find("https://hooks.example.com/moved") != std::string::npos);
  }
}

TEST_CASE("cli: check fails an endpoint that answers 500 to a signed sample") {
  TlsServer server({.certificate = check_pki().valid, .reply = [](const ReceivedRequest&) {
                      return HttpReply{.status = 500, .body = R"({"error":"boom"})"};
                    }});
  const auto run = run_check(server.url(), {"--ca-file", root_ca()});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 1);
  CHECK(run.severity("signed_sample") == "fail");
}

TEST_CASE("cli: check warns about an answer slower than --max-latency") {
  auto options = verifying_server(check_pki().valid);
  options.reply = [](const ReceivedRequest& request) {
    auto reply = verifying(request);
    reply.delay = 600ms;
    return reply;
  };
  TlsServer server(options);
  const auto run = run_check(server.url(), {"--ca-file", root_ca(), "--max-latency", "200"});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 0);
  CHECK(run.severity("latency") == "warn");
}

TEST_CASE("cli: check fails an endpoint nobody listens on") {
  const auto run = run_check(fmt::format("https://127.0.0.1:{}/hook", free_port()));
  INFO(run.process.out);
  CHECK(run.process.exit_code == 1);
  CHECK(run.severity("connect") == "fail");
}

TEST_CASE("cli: check fails plain HTTP without connecting at all") {
  TlsServer server(verifying_server(check_pki().valid));
  const auto run = run_check(fmt::format("http://127.0.0.1:{}/hook", server.port()));
  INFO(run.process.out);
  CHECK(run.process.exit_code == 1);
  CHECK(run.severity("scheme") == "fail");
  for (const auto& c : run.report["checks"]) {
    if (c["id"] == "scheme") continue;
    INFO(c.dump());
    CHECK(c["severity"] == "skip");
  }
  CHECK(server.connections() == 0);
}

TEST_CASE("cli: check exit codes for usage errors and for what ctg itself cannot do") {
  const auto port = free_port();
  const auto url = fmt::format("https://127.0.0.1:{}/hook", port);
  SUBCASE("malformed URL or unknown flag: exit 2") {
    for (const auto& args : std::vector<std::vector<std::string>>{{"check", "https://127.0.0.1:99999/hook"},
                                                                  {"check", "https:///hook"},
                                                                  {"check", url, "--no-such-flag"},
                                                                  {"check", url, "--max-latency", "soon"},
                                                                  {"check"}}) {
      const auto r = run_ctg(args);
      INFO(fmt::format("{}", fmt::join(args, " ")), r.out, r.err);
      CHECK(r.exit_code == 2);
      CHECK_FALSE(r.err.empty());
    }
  }
  SUBCASE("an unreadable --ca-file: exit 3") {
    TempDir dir;
    const auto r = run_ctg({"check", url, "--ca-file", dir.path() + "/missing.pem"});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("missing.pem") != std::string::npos);
  }
}

TEST_CASE("cli: check text output: a line per check, a fix under each failure") {
  TlsServer server(verifying_server(check_pki().missing_intermediate));
  const auto json_run = run_check(server.url(), {"--ca-file", root_ca()});
  const auto r =
      run_ctg({"check", server.url(), "--ca-file", root_ca()}, {.env = {{"CONTIGUITY_WEBHOOK_SECRET", k_secret}}});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  // Each line as (indentation, text): the report may indent its lines under a heading.
  std::vector<std::pair<std::size_t, std::string>> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    const auto indent = std::min(line.find_first_not_of(' '), line.size());
    lines.emplace_back(indent, line.substr(indent));
  }
  int check_lines = 0;
  int failures = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& [indent, text] = lines[i];
    const bool is_check = std::ranges::any_of(std::vector<std::string>{"✓", "!", "✗", "i", "-"},
                                              [&](const std::string& mark) { return text.starts_with(mark + " "); });
    check_lines += is_check ? 1 : 0;
    if (!text.starts_with("✗ ")) continue;
    ++failures;
    INFO(text);
    REQUIRE(i + 1 < lines.size());
    CHECK(lines[i + 1].first > indent);  // under the failure
    CHECK(lines[i + 1].second.starts_with("fix: "));
  }
  CHECK(check_lines == static_cast<int>(json_run.report["checks"].size()));
  CHECK(failures == count_severity(json_run.report, "fail"));
  CHECK(failures >= 1);
}

TEST_CASE("cli: check --junit writes a testcase per check and a failure per fail") {
  TlsServer server(verifying_server(check_pki().missing_intermediate));
  TempDir dir;
  const auto junit = dir.path() + "/check.xml";
  const auto run = run_check(server.url(), {"--ca-file", root_ca(), "--junit", junit});
  CHECK(run.process.exit_code == 1);
  REQUIRE_FALSE(read_file(junit).empty());
  CHECK(run_process("/usr/bin/env", {"xmllint", "--noout", junit}).exit_code == 0);
  const auto count = [&](const std::string& xpath) {
    const auto out = run_process("/usr/bin/env", {"xmllint", "--xpath", xpath, junit});
    INFO(xpath, out.err);
    REQUIRE(out.exit_code == 0);
    return std::stoi(out.out);
  };
  CHECK(count("count(//testcase)") == static_cast<int>(run.report["checks"].size()));
  CHECK(count("count(//testcase/failure)") == count_severity(run.report, "fail"));
}

TEST_CASE("cli: check --fail-on warn fails an endpoint with warnings only") {
  TlsServer server(verifying_server(check_pki().valid));
  auto run = run_check(server.url(), {"--ca-file", root_ca()});
  REQUIRE(count_severity(run.report, "fail") == 0);
  REQUIRE(count_severity(run.report, "warn") >= 1);  // the private CA, at least
  CHECK(run.process.exit_code == 0);
  run = run_check(server.url(), {"--ca-file", root_ca(), "--fail-on", "warn"});
  CHECK(run.process.exit_code == 1);
}

TEST_CASE("cli: check --grade adds a letter grade") {
  TlsServer server(verifying_server(check_pki().valid));
  const auto run = run_check(server.url(), {"--ca-file", root_ca(), "--grade"});
  INFO(run.process.out);
  CHECK(run.process.exit_code == 0);
  REQUIRE(run.report.contains("grade"));
  CHECK(std::set<std::string>{"A", "B"}.contains(run.report["grade"].get<std::string>()));
}
