// ctg sign and ctg verify, end to end through the binary.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "process.hpp"

using ctg::test::run_ctg;
using ctg::test::run_process;
using ctg::test::RunOptions;

namespace {
const std::string k_secret = "whsec_test_secret";
const std::string k_body =
    R"({"id":"evt_d61aCHRo18","type":"text.incoming.sms","timestamp":1707321600,"api_version":"v2025.9.7","data":{"from":"+15551234567","to":"+15559876543","body":"Hello world","timestamp":1707321600}})";
const std::string k_v1 = "0012bc2bfa0c7d87ffe72b3e0d18879013fcc9682187c33277b4e98314e7b7dd";
const std::string k_header = "t=1707321600,v1=" + k_v1;

RunOptions with_secret(std::string stdin_data = {}) {
  return RunOptions{.stdin_data = std::move(stdin_data), .env = {{"CONTIGUITY_WEBHOOK_SECRET", k_secret}}};
}
}  // namespace

TEST_CASE("cli::sign prints the platform's known-answer signature") {
  SUBCASE("from stdin") {
    const auto r = run_ctg({"sign", "--timestamp", "1707321600"}, with_secret(k_body));
    CHECK(r.exit_code == 0);
    CHECK(r.out == k_header + "\n");
    CHECK(r.err.empty());
  }
  SUBCASE("from a file") {
    ctg::test::TempDir dir;
    const auto path = dir.write("body.json", k_body);
    const auto r = run_ctg({"sign", path, "--timestamp", "1707321600"}, with_secret());
    CHECK(r.out == k_header + "\n");
  }
  SUBCASE("from --secret-file") {
    ctg::test::TempDir dir;
    const auto secret_file = dir.write("secret", k_secret + "\n");
    const auto r = run_ctg({"sign", "--secret-file", secret_file, "--timestamp", "1707321600"},
                           RunOptions{.stdin_data = k_body});
    CHECK(r.out == k_header + "\n");
  }
  SUBCASE("as JSON") {
    const auto r = run_ctg({"sign", "--timestamp", "1707321600", "--json"}, with_secret(k_body));
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["value"] == k_header);
    CHECK(j["v1"] == k_v1);
    CHECK(j["timestamp"] == 1707321600);
  }
}

TEST_CASE("cli::sign uses the current time by default") {
  const auto before = std::time(nullptr);
  const auto r = run_ctg({"sign"}, with_secret("{}"));
  REQUIRE(r.exit_code == 0);
  const long t = std::stol(r.out.substr(2, r.out.find(',') - 2));
  CHECK(t >= before);
  CHECK(t <= std::time(nullptr));
}

TEST_CASE("cli::sign agrees with openssl dgst on arbitrary bytes") {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += static_cast<char>((i * 7919) % 256);
  ctg::test::TempDir dir;
  const auto path = dir.write("body.bin", "42." + body);
  const auto openssl = run_process("/usr/bin/openssl", {"dgst", "-sha256", "-hmac", k_secret, path});
  REQUIRE(openssl.exit_code == 0);
  const auto expected = openssl.out.substr(openssl.out.rfind(' ') + 1, 64);
  const auto r = run_ctg({"sign", "--timestamp", "42"}, with_secret(body));
  CHECK(r.out == "t=42,v1=" + expected + "\n");
}

TEST_CASE("cli::sign streams a 100 MB body from stdin") {
  const std::string body(100u * 1024 * 1024, 'x');
  const auto r = run_ctg({"sign", "--timestamp", "1"}, with_secret(body));
  CHECK(r.exit_code == 0);
  CHECK(r.out.size() == std::string("t=1,v1=").size() + 64 + 1);
}

TEST_CASE("cli::sign --curl prints a command that delivers the body") {
  SUBCASE("file body is referenced") {
    ctg::test::TempDir dir;
    const auto path = dir.write("event.json", k_body);
    const auto r = run_ctg({"sign", path, "--timestamp", "1707321600", "--curl", "http://localhost:3000/hook"},
                           with_secret());
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("curl -sS -X POST http://localhost:3000/hook"));
    CHECK(r.out.find("'Contiguity-Signature: " + k_header + "'") != std::string::npos);
    CHECK(r.out.find("--data-binary @" + path) != std::string::npos);
  }
  SUBCASE("stdin body is inlined, quoted for the shell") {
    const std::string body = R"({"text":"it's"})";
    const auto r = run_ctg({"sign", "--timestamp", "1", "--curl", "http://h/x"}, with_secret(body));
    CHECK(r.out.find(R"(--data-binary '{"text":"it'\''s"}')") != std::string::npos);
    // The quoted body survives a real shell: echo it back.
    const auto quoted = r.out.substr(r.out.find("--data-binary ") + 14);
    const auto echo = run_process("/bin/sh", {"-c", "printf %s " + quoted});
    CHECK(echo.out == body);
  }
}

TEST_CASE("cli::sign errors") {
  SUBCASE("no secret: usage, exit 2") {
    const auto r = run_ctg({"sign"}, RunOptions{.stdin_data = "{}"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no webhook secret given") != std::string::npos);
    CHECK(r.err.find("CONTIGUITY_WEBHOOK_SECRET") != std::string::npos);
  }
  SUBCASE("missing file: exit 3") {
    const auto r = run_ctg({"sign", "/nonexistent/body.json"}, with_secret());
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("cannot read /nonexistent/body.json: no such file or directory") != std::string::npos);
  }
  SUBCASE("--secret warns and is never printed") {
    const auto r = run_ctg({"sign", "--secret", "whsec_visible_secret", "-v", "--curl", "http://h/x"},
                           RunOptions{.stdin_data = "{}"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("visible to other processes") != std::string::npos);
    CHECK(r.out.find("whsec_visible_secret") == std::string::npos);
    CHECK(r.err.find("whsec_visible_secret") == std::string::npos);
  }
}

TEST_CASE("cli::verify says valid or why not, with exit codes 0 and 1") {
  SUBCASE("valid") {
    const auto r = run_ctg({"verify", "--signature", k_header, "--now", "1707321700"}, with_secret(k_body));
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("valid"));
  }
  SUBCASE("the whole header line pasted") {
    const auto r = run_ctg({"verify", "--signature", "Contiguity-Signature: " + k_header, "--now", "1707321600"},
                           with_secret(k_body));
    CHECK(r.exit_code == 0);
  }
  SUBCASE("trailing newline is diagnosed") {
    const auto r = run_ctg({"verify", "--signature", k_header, "--now", "1707321600"}, with_secret(k_body + "\n"));
    CHECK(r.exit_code == 1);
    CHECK(r.out.starts_with("invalid"));
    CHECK(r.out.find("hint:") != std::string::npos);
    CHECK(r.out.find("newline") != std::string::npos);
  }
  SUBCASE("stale timestamp") {
    const auto r = run_ctg({"verify", "--signature", k_header, "--now", "1707322000"}, with_secret(k_body));
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("400 s too old") != std::string::npos);
  }
  SUBCASE("tolerance 0 disables the window") {
    const auto r = run_ctg({"verify", "--signature", k_header, "--now", "1807322000", "--tolerance", "0"},
                           with_secret(k_body));
    CHECK(r.exit_code == 0);
  }
  SUBCASE("rotation: any of several secrets") {
    const auto r = run_ctg({"verify", "--signature", k_header, "--now", "1707321600"},
                           RunOptions{.stdin_data = k_body,
                                      .env = {{"CONTIGUITY_WEBHOOK_SECRET", "whsec_new_one," + k_secret}}});
    CHECK(r.exit_code == 0);
  }
  SUBCASE("--json") {
    const auto r = run_ctg({"verify", "--signature", "t=1707321600,v1=" + std::string(64, 'a'), "--now",
                            "1707321600", "--json"},
                           with_secret(k_body));
    CHECK(r.exit_code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["valid"] == false);
    CHECK(j["reason"] == "signature_mismatch");
    CHECK(j["hints"].is_array());
    CHECK(j["timestamp"] == 1707321600);
  }
  SUBCASE("malformed header") {
    const auto r = run_ctg({"verify", "--signature", "v1=abc", "--json"}, with_secret(k_body));
    CHECK(r.exit_code == 1);
    CHECK(nlohmann::json::parse(r.out)["reason"] == "header_malformed");
  }
}

TEST_CASE("cli::verify reads a captured HTTP request") {
  ctg::test::TempDir dir;
  const std::string request = "POST /contiguity/webhook HTTP/1.1\r\nHost: localhost:3000\r\n"
                              "Content-Type: application/json\r\ncontiguity-signature: " +
                              k_header + "\r\nContent-Length: " + std::to_string(k_body.size()) + "\r\n\r\n" + k_body;
  const auto path = dir.write("request.http", request);
  const auto r = run_ctg({"verify", "--request", path, "--now", "1707321600"}, with_secret());
  CHECK(r.exit_code == 0);
  const auto without_header = dir.write("bare.http", "POST / HTTP/1.1\r\nHost: x\r\n\r\n" + k_body);
  const auto missing = run_ctg({"verify", "--request", without_header, "--json"}, with_secret());
  CHECK(missing.exit_code == 1);
  CHECK(nlohmann::json::parse(missing.out)["reason"] == "header_missing");
}

TEST_CASE("cli::verify usage errors exit 2") {
  CHECK(run_ctg({"verify"}, with_secret(k_body)).exit_code == 2);
  CHECK(run_ctg({"verify", "--signature", k_header}, RunOptions{.stdin_data = k_body}).exit_code == 2);
  CHECK(run_ctg({"verify", "--signature", k_header, "--tolerance", "-5"}, with_secret(k_body)).exit_code == 2);
  CHECK(run_ctg({"verify", "--signature", k_header, "--request", "x"}, with_secret(k_body)).exit_code == 2);
}

TEST_CASE("cli::--json output survives bytes that are not UTF-8") {
  // A hand-typed header or URL may hold any bytes; the JSON answer replaces them with U+FFFD.
  SUBCASE("verify: a timestamp with a stray byte") {
    auto options = with_secret(k_body);
    const auto r = run_ctg({"verify", "--json", "--signature", "t=\xff" "1,v1=ab"}, options);
    CHECK(r.exit_code == 1);
    const auto out = nlohmann::json::parse(r.out);
    CHECK(out["valid"] == false);
    CHECK(out["reason"] == "header_malformed");
  }
  SUBCASE("sign --curl with such a URL") {
    const auto r = run_ctg({"sign", "--json", "--timestamp", "1707321600", "--curl", "http://h/\xff"}, with_secret(k_body));
    CHECK(r.exit_code == 0);
    const auto out = nlohmann::json::parse(r.out);
    CHECK(out["value"] == k_header);
    CHECK(out["curl"].get<std::string>().find("http://h/\xef\xbf\xbd") != std::string::npos);
  }
}
