// ctg send-test end to end, against receivers written here (httplib on loopback, once over TLS
// with a CA made for the test): a correct verifying one, one that accepts anything, one that
// fails, a slow one, a redirecting one, and nothing at all.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/signing/signature.hpp"
#include "ctg/tls/certificate.hpp"
#include "listen_support.hpp"
#include "process.hpp"

using namespace ctg;
using namespace ctg::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* k_secret = "whsec_send_test_secret";
constexpr const char* k_path = "/hook";

struct TlsFiles {
  std::string ca_file, cert_file, key_file;
};

// A receiver on 127.0.0.1 (its own thread) whose POST /hook answers by `handler`; it records the
// requests it got.
class Receiver {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  explicit Receiver(Handler handler, const TlsFiles* tls = nullptr) : m_handler(std::move(handler)) {
    if (tls != nullptr) {
      m_server = std::make_unique<httplib::SSLServer>(tls->cert_file.c_str(), tls->key_file.c_str());
    } else {
      m_server = std::make_unique<httplib::Server>();
    }
    REQUIRE(m_server->is_valid());
    m_server->Post(k_path, [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(req);
      }
      m_handler(req, res);
    });
    m_port = m_server->bind_to_any_port("127.0.0.1");
    REQUIRE(m_port > 0);
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
    while (!m_server->is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    m_server->stop();
    m_thread.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::string url(const std::string& scheme = "http") const { return fmt::format("{}://127.0.0.1:{}{}", scheme, m_port, k_path); }
  std::vector<httplib::Request> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

 private:
  Handler m_handler;
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
  mutable std::mutex m_mutex;
  std::vector<httplib::Request> m_requests;
};

// What the platform asks of a receiver: verify, then acknowledge (repeats and unknown types too).
void verifying(const httplib::Request& req, httplib::Response& res) {
  const std::vector<std::string> secrets{k_secret};
  const auto verdict =
      signing::verify(req.get_header_value("Contiguity-Signature"), secrets, req.body, unix_now(), {});
  if (!verdict.valid()) {
    res.status = 401;
    res.set_content(R"({"error":"bad signature"})", "application/json");
    return;
  }
  if (!json::accept(req.body)) {
    res.status = 400;
    return;
  }
  res.set_content(R"({"ok":true})", "application/json");
}

void accepts_anything(const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); }

RunOptions with_secret() { return {.env = {{"CONTIGUITY_WEBHOOK_SECRET", k_secret}}}; }

json report_of(const ProcessResult& r) {
  INFO(r.err);
  REQUIRE_FALSE(r.out.empty());
  return json::parse(r.out);
}

std::map<std::string, std::string> verdicts(const json& report) {
  std::map<std::string, std::string> out;
  for (const auto& c : report["cases"]) out[c["name"].get<std::string>()] = c["verdict"].get<std::string>();
  return out;
}

const std::set<std::string> k_negative_cases{"tampered body", "wrong secret", "missing signature",
                                             "malformed signature header", "timestamp 10 minutes old",
                                             "timestamp 10 minutes ahead"};

}  // namespace

TEST_CASE("cli: send-test sends every current type, signed and marked, to a verifying receiver") {
  Receiver receiver(verifying);
  const auto r = run_ctg({"send-test", receiver.url()}, with_secret());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("16 passed") != std::string::npos);
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 16);
  std::set<std::string> ids, types;
  for (const auto& req : requests) {
    CHECK(req.get_header_value("X-Ctg-Test") == "true");
    CHECK(req.get_header_value("Content-Type") == "application/json");
    const auto body = json::parse(req.body);
    ids.insert(body["id"].get<std::string>());
    types.insert(body["type"].get<std::string>());
    // A fresh timestamp: within a minute of now.
    CHECK(std::abs(body["timestamp"].get<std::int64_t>() - unix_now()) < 60);
  }
  CHECK(ids.size() == 16);  // a fresh id for each send
  CHECK(types.contains("text.incoming.sms"));
  CHECK(types.contains("identity.verification_report.generated"));
}

TEST_CASE("cli: send-test --event, --set, --no-test-header and -H shape what is sent") {
  Receiver receiver(verifying);
  const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.*", "--set", "data.body=Hi there",
                          "--no-test-header", "-H", "X-Team: payments"},
                         with_secret());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 4);  // text.incoming.sms, .mms, text.delivery.confirmed, .failed
  for (const auto& req : requests) {
    CHECK_FALSE(req.has_header("X-Ctg-Test"));
    CHECK(req.get_header_value("X-Team") == "payments");
    CHECK(json::parse(req.body)["data"]["body"] == "Hi there");
    CHECK(json::parse(req.body)["type"].get<std::string>().starts_with("text."));
  }
}

TEST_CASE("cli: send-test --no-sign sends no signature, even with a secret") {
  Receiver receiver(accepts_anything);
  const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--no-sign"}, with_secret());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  REQUIRE(receiver.requests().size() == 1);
  CHECK_FALSE(receiver.requests()[0].has_header("Contiguity-Signature"));
  // And a verifying receiver refuses exactly that.
  Receiver strict(verifying);
  CHECK(run_ctg({"send-test", strict.url(), "--event", "text.incoming.sms", "--no-sign"}, with_secret()).exit_code == 1);
}

TEST_CASE("cli: send-test load mode draws progress on a terminal only") {
  Receiver receiver([](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(5ms);
    res.status = 200;
  });
  const std::string command = fmt::format("{} send-test {} --event text.incoming.sms --count 300 --concurrency 2",
                                          CTG_BINARY, receiver.url());
  // script(1) gives the command a pseudo-terminal.
  const auto tty = run_process("/usr/bin/script", {"-qec", command, "/dev/null"}, with_secret());
  INFO(tty.out, tty.err);
  CHECK(tty.exit_code == 0);
  CHECK(tty.out.find("/300") != std::string::npos);  // "[######......] 80/300  ..."
  CHECK(tty.out.find("300 requests in") != std::string::npos);
  const auto piped = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--count", "150",
                              "--concurrency", "2"},
                             with_secret());
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.find("/150") == std::string::npos);
}

TEST_CASE("cli: send-test --suite conformance") {
  SUBCASE("a correct verifying receiver passes every case") {
    Receiver receiver(verifying);
    const auto r = run_ctg({"send-test", receiver.url(), "--suite", "conformance", "--json"}, with_secret());
    const auto report = report_of(r);
    CHECK(r.exit_code == 0);
    CHECK(report["failed"] == 0);
    CHECK(report["skipped"] == 0);
    CHECK(report["passed"] == report["cases"].size());
    CHECK(report["cases"].size() == 9 + 16);
  }
  SUBCASE("a receiver that accepts anything fails exactly the forged cases") {
    Receiver receiver(accepts_anything);
    const auto r = run_ctg({"send-test", receiver.url(), "--suite", "conformance", "--json"}, with_secret());
    const auto report = report_of(r);
    CHECK(r.exit_code == 1);
    for (const auto& [name, verdict] : verdicts(report)) {
      CAPTURE(name);
      CHECK(verdict == (k_negative_cases.contains(name) ? "failed" : "passed"));
    }
    for (const auto& c : report["cases"]) {
      if (c["verdict"] != "failed") continue;
      CHECK(c["message"] == "expected 4xx, got 200");
      CHECK_FALSE(c["risk"].get<std::string>().empty());
    }
  }
  SUBCASE("without a secret the signature cases are skipped, not passed") {
    Receiver receiver(accepts_anything);
    const auto r = run_ctg({"send-test", receiver.url(), "--suite", "conformance", "--json"});
    const auto report = report_of(r);
    CHECK(r.exit_code == 0);
    CHECK(report["skipped"] == 7);  // the valid signed delivery and the six forgeries
    for (const auto& [name, verdict] : verdicts(report)) {
      CAPTURE(name);
      CHECK(verdict == (k_negative_cases.contains(name) || name == "valid signed delivery" ? "skipped" : "passed"));
    }
  }
}

TEST_CASE("cli: send-test fails what a sender would not accept") {
  SUBCASE("a 500 fails with exit 1 and the answer shown") {
    Receiver receiver([](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("database is down", "text/plain");
    });
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms"}, with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("expected 2xx, got 500") != std::string::npos);
    CHECK(r.out.find("database is down") != std::string::npos);
    CHECK(r.out.find("0 passed, 1 failed") != std::string::npos);
  }
  SUBCASE("a slow answer fails the latency budget") {
    Receiver receiver([](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(300ms);
      res.set_content("ok", "text/plain");
    });
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "otp.reverse.verified", "--max-latency", "100"},
                           with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("over the latency budget of 100 ms") != std::string::npos);
  }
  SUBCASE("an answer later than --timeout fails") {
    Receiver receiver([](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(1500ms);
      res.set_content("ok", "text/plain");
    });
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "otp.reverse.verified", "--timeout", "0.5"},
                           with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("timed out after 500 ms") != std::string::npos);
  }
  SUBCASE("a redirect fails, naming where it pointed") {
    Receiver receiver([](const httplib::Request&, httplib::Response& res) {
      res.status = 308;
      res.set_header("Location", "https://hooks.example.com/final");
    });
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms"}, with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("answered 308, a redirect to https://hooks.example.com/final") != std::string::npos);
    CHECK(receiver.requests().size() == 1);  // not followed
  }
  SUBCASE("--expect-status takes codes and classes") {
    Receiver receiver([](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    CHECK(run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--expect-status", "2xx,404"},
                  with_secret())
              .exit_code == 0);
    CHECK(run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--expect-status", "200"}, with_secret())
              .exit_code == 1);
  }
}

TEST_CASE("cli: send-test over HTTPS with a CA made for the test") {
  TempDir dir;
  const auto now = unix_now();
  const auto key = [] { return *tls::generate_key(tls::KeyType::ec_p256); };
  const auto ca = tls::self_signed(
      {.common_name = "ctg send-test CA", .not_before = now - 86400, .not_after = now + 86400, .is_ca = true}, key());
  REQUIRE(ca.has_value());
  const auto leaf = tls::issue({.dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}, .not_before = now - 86400,
                                .not_after = now + 86400},
                               key(), *ca);
  REQUIRE(leaf.has_value());
  const TlsFiles files{dir.write("ca.pem", ca->certificate_pem), dir.write("leaf.pem", leaf->certificate_pem),
                       dir.write("leaf-key.pem", leaf->private_key_pem)};
  Receiver receiver(verifying, &files);
  SUBCASE("passes with --ca-file") {
    const auto r = run_ctg({"send-test", receiver.url("https"), "--event", "text.incoming.sms", "--ca-file", files.ca_file},
                           with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("1 passed") != std::string::npos);
  }
  SUBCASE("--insecure skips verification, and says so") {
    const auto r = run_ctg({"send-test", receiver.url("https"), "--event", "text.incoming.sms", "--insecure"},
                           with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("warning: --insecure: the endpoint's certificate is not verified") != std::string::npos);
  }
  SUBCASE("load mode over TLS") {
    const auto r = run_ctg({"send-test", receiver.url("https"), "--event", "text.incoming.sms", "--count", "40",
                            "--concurrency", "4", "--ca-file", files.ca_file, "--json"},
                           with_secret());
    const auto report = report_of(r);
    CHECK(r.exit_code == 0);
    CHECK(report["succeeded"] == 40);
    CHECK(receiver.requests().size() == 40);
  }
  SUBCASE("load mode without the CA: exit 3, the TLS reason given") {
    const auto r = run_ctg({"send-test", receiver.url("https"), "--event", "text.incoming.sms", "--count", "3"},
                           with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("TLS: unable to get local issuer certificate") != std::string::npos);
  }
  SUBCASE("fails with a clear message without it: exit 3") {
    const auto r = run_ctg({"send-test", receiver.url("https"), "--event", "text.incoming.sms"}, with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("TLS: unable to get local issuer certificate") != std::string::npos);
    CHECK(r.err.find("could not be reached") != std::string::npos);
  }
}

TEST_CASE("cli: send-test reports") {
  Receiver receiver(accepts_anything);
  TempDir dir;
  const auto junit = dir.path() + "/report.xml";
  const auto r = run_ctg({"send-test", receiver.url(), "--suite", "conformance", "--junit", junit}, with_secret());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  const auto xml = read_file(junit);
  REQUIRE_FALSE(xml.empty());
  // Parsed by a real XML parser (xmllint, libxml2-utils), then counted.
  const auto count = [&](const std::string& xpath) {
    const auto out = run_process("/usr/bin/env", {"xmllint", "--xpath", xpath, junit});
    INFO(out.err);
    REQUIRE(out.exit_code == 0);
    return std::stoi(out.out);
  };
  CHECK(count("count(/testsuites/testsuite)") == 1);
  CHECK(count("count(/testsuites/testsuite[@name='conformance'])") == 1);
  CHECK(count("count(//testcase)") == 25);
  CHECK(count("count(//testcase/failure)") == 6);
  CHECK(count("count(//testcase/skipped)") == 0);
  CHECK(count("number(/testsuites/@failures)") == 6);
  CHECK(count("number(/testsuites/testsuite/@tests)") == 25);
  CHECK(count("count(//testcase[@name='tampered body']/failure)") == 1);
  CHECK(count("count(//property[@name='url'])") == 1);
  CHECK(count("count(//testcase/properties/property[@name='type'])") == 25);
}

TEST_CASE("cli: send-test exit codes for usage and unreachable endpoints") {
  SUBCASE("nothing listening: exit 3 with the reason per case") {
    const int port = free_port();
    const auto r = run_ctg({"send-test", fmt::format("http://127.0.0.1:{}/hook", port), "--event", "text.*", "--json"},
                           with_secret());
    CHECK(r.exit_code == 3);
    const auto report = report_of(r);
    CHECK(report["errors"] == 4);
    for (const auto& c : report["cases"]) CHECK(c["message"] == "connection refused");
    CHECK(r.err.find("connection refused") != std::string::npos);
  }
  SUBCASE("usage errors: exit 2") {
    TempDir dir;
    const auto broken = dir.write("broken.json", "{\n  \"id\": \"evt_1\",\n  \"type\": \n}\n");
    auto r = run_ctg({"send-test", "http://127.0.0.1:1/hook", "--fixture", broken});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("broken.json: invalid JSON at line 4") != std::string::npos);
    r = run_ctg({"send-test", "http://127.0.0.1:1/hook", "--expect-status", "2xy"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("\"2xy\" is neither a status code nor a class like 2xx") != std::string::npos);
    r = run_ctg({"send-test", "http://127.0.0.1:1/hook", "--event", "text.incoming.smss"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("did you mean text.incoming.sms") != std::string::npos);
    r = run_ctg({"send-test", "http://127.0.0.1:1/hook", "--suite", "nonsense"});
    CHECK(r.exit_code == 2);
  }
}

TEST_CASE("cli: send-test load mode") {
  SUBCASE("--count N sends N requests with unique ids over C connections and reports percentiles") {
    Receiver receiver(verifying);
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--count", "300",
                            "--concurrency", "4", "--json"},
                           with_secret());
    const auto report = report_of(r);
    CHECK(r.exit_code == 0);
    CHECK(report["mode"] == "load");
    CHECK(report["sent"] == 300);
    CHECK(report["answered"] == 300);
    CHECK(report["succeeded"] == 300);
    CHECK(report["statuses"]["200"] == 300);
    const auto& latency = report["latency_ms"];
    CHECK(latency["p50"].get<double>() > 0);
    CHECK(latency["p50"].get<double>() <= latency["p90"].get<double>());
    CHECK(latency["p90"].get<double>() <= latency["p99"].get<double>());
    CHECK(latency["p99"].get<double>() <= latency["max"].get<double>());
    const auto requests = receiver.requests();
    REQUIRE(requests.size() == 300);
    std::set<std::string> ids;
    for (const auto& req : requests) {
      ids.insert(json::parse(req.body)["id"].get<std::string>());
      CHECK(req.get_header_value("X-Ctg-Test") == "true");
    }
    CHECK(ids.size() == 300);  // each signed correctly too: the receiver verified all 300
  }
  SUBCASE("--max-error-rate judges failed answers") {
    std::atomic<int> n{0};
    Receiver receiver([&n](const httplib::Request&, httplib::Response& res) {
      res.status = ++n % 10 == 0 ? 503 : 200;  // one in ten
    });
    auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--count", "200", "--concurrency",
                      "2", "--max-error-rate", "5%"},
                     with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("error rate 10.00% (20 of 200) is over the budget of 5.00%") != std::string::npos);
    CHECK(r.out.find("503 × 20") != std::string::npos);
    r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--count", "200", "--max-error-rate",
                 "0.2"},
                with_secret());
    CHECK(r.exit_code == 0);
  }
  SUBCASE("--max-p99 judges latency") {
    Receiver receiver([](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(20ms);
      res.status = 200;
    });
    TempDir dir;
    const auto junit = dir.path() + "/load.xml";
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--count", "20", "--max-p99",
                            "5", "--junit", junit},
                           with_secret());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("is over the budget of 5 ms") != std::string::npos);
    const auto xml = read_file(junit);
    CHECK(xml.find("<testcase name=\"p99 latency\" classname=\"ctg.load\"") != std::string::npos);
    CHECK(run_process("/usr/bin/env", {"xmllint", "--noout", junit}).exit_code == 0);
  }
  SUBCASE("--rate paces the requests") {
    Receiver receiver(accepts_anything);
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--count", "30", "--rate",
                            "100", "--concurrency", "4"},
                           with_secret());
    const auto took = std::chrono::steady_clock::now() - started;
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(receiver.requests().size() == 30);
    CHECK(took >= 290ms);  // the 30th is due at 290 ms
  }
  SUBCASE("--duration stops sending") {
    Receiver receiver(accepts_anything);
    const auto r = run_ctg({"send-test", receiver.url(), "--event", "text.incoming.sms", "--duration", "300ms",
                            "--rate", "50", "--json"},
                           with_secret());
    const auto report = report_of(r);
    CHECK(r.exit_code == 0);
    CHECK(report["sent"].get<int>() == 15);  // due at 0, 20, ..., 280 ms
  }
  SUBCASE("nothing listening: exit 3") {
    const auto r = run_ctg({"send-test", fmt::format("http://127.0.0.1:{}/hook", free_port()), "--count", "5"},
                           with_secret());
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("connection refused × 5") != std::string::npos);
  }
  SUBCASE("usage") {
    CHECK(run_ctg({"send-test", "http://127.0.0.1:1/hook", "--count", "5", "--suite", "conformance"}).exit_code == 2);
    CHECK(run_ctg({"send-test", "http://127.0.0.1:1/hook", "--duration", "soon"}).exit_code == 2);
    CHECK(run_ctg({"send-test", "http://127.0.0.1:1/hook", "--count", "5", "--max-error-rate", "150%"}).exit_code == 2);
  }
}

TEST_CASE("cli: send-test sends a --fixture file and a delivery ctg listen captured") {
  TempDir dir;
  std::string store;
  SignedEvent captured = make_event("otp.reverse.verified");
  {
    Listener listener(dir);
    REQUIRE(listener.ready());
    REQUIRE(deliver(listener.port(), captured).status == 200);
    store = listener.store();
    REQUIRE(listener.stop() == 130);  // interrupted, per the exit-code contract
  }
  const auto fixture = dir.write("case.json", R"({"id":"evt_file","type":"email.incoming","timestamp":1,"api_version":"v2",
  "data":{"from":"a@example.com","to":"b@example.com","subject":"Hi"}})");
  Receiver receiver(verifying);
  const auto r = run_ctg({"send-test", receiver.url(), "--fixture", fixture, "--from-event", captured.id, "--store",
                          store, "--json"},
                         with_secret());
  const auto report = report_of(r);
  CHECK(r.exit_code == 0);
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  const auto from_file = json::parse(requests[0].body);
  const auto from_journal = json::parse(requests[1].body);
  CHECK(from_file["type"] == "email.incoming");
  CHECK(from_file["data"]["subject"] == "Hi");
  CHECK(from_file["id"] != "evt_file");  // a fresh id and timestamp for each send
  CHECK(from_file["timestamp"] != 1);
  CHECK(from_journal["type"] == "otp.reverse.verified");
  CHECK(from_journal["id"] != captured.id);
  CHECK(from_journal["data"] == json::parse(captured.body)["data"]);
  // Named by what the receiver answered: the verifying receiver checked both signatures.
  CHECK(report["passed"] == 2);
}
