// ctg register and ctg webhooks end to end: the built binary against a fake Contiguity API on
// loopback (api_support.hpp; once over TLS with a test CA), with a real HTTPS endpoint for the
// preflight (check_support.hpp). Every call is asserted: method, path, headers, body.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "api_support.hpp"
#include "check_support.hpp"
#include "process.hpp"

using namespace ctg;
using namespace ctg::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const FakeApiOptions k_defaults;
const std::string k_token = k_defaults.token;
const std::string k_created_secret = k_defaults.secret_on_create;
constexpr const char* k_webhook_secret = "whsec_endpoint_secret_for_preflight";

// A working HTTPS endpoint for the preflight: the valid leaf of the check PKI, 200 to everything.
TlsServerOptions endpoint_options(int status = 200) {
  TlsServerOptions o;
  o.certificate = check_pki().valid;
  o.reply = [status](const ReceivedRequest&) { return HttpReply{.status = status}; };
  return o;
}

// The environment of a user whose token is in CONTIGUITY_API_KEY and whose API is `api`; a config
// folder of its own so that no stored credentials are found by accident.
RunOptions env_for(const FakeApi& api, const TempDir& home, const std::string& token = k_token) {
  RunOptions o;
  o.env = {{"CONTIGUITY_API_KEY", token},
           {"CONTIGUITY_API_BASE", api.base_url()},
           {"XDG_CONFIG_HOME", home.path() + "/config"},
           {"CONTIGUITY_WEBHOOK_SECRET", k_webhook_secret}};
  return o;
}

// Neither the token nor any secret may appear in what a command prints.
void check_no_leak(const ProcessResult& r, const std::string& token = k_token) {
  for (const auto& text : {r.out, r.err}) {
    CHECK(text.find(token) == std::string::npos);
    CHECK(text.find(k_created_secret) == std::string::npos);
    CHECK(text.find(k_webhook_secret) == std::string::npos);
  }
}

void check_authorized(const std::vector<ApiRequest>& requests, const std::string& token = k_token) {
  for (const auto& request : requests) {
    INFO(request.method, " ", request.path);
    CHECK(request.header("Authorization") == "Token " + token);
    CHECK(request.header("Accept") == "application/json");
    CHECK(request.header("User-Agent").starts_with("ctg/"));
    if (request.method == "POST" || request.method == "PATCH") CHECK(request.header("Content-Type") == "application/json");
  }
}

std::vector<std::string> calls(const std::vector<ApiRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.method + " " + r.path);
  return out;
}

using Calls = std::vector<std::string>;

}  // namespace

TEST_CASE("cli::register creates the endpoint after a passing preflight, and keeps the secret in a 0600 file") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  TempDir home;
  const auto secret_file = home.path() + "/secret.txt";
  const auto r = run_ctg({"-v", "register", endpoint.url(), "--events", "text.incoming.sms,otp.*", "--description",
                          "production hook", "--secret-out", secret_file, "--ca-file", check_pki().root_ca_file},
                         env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  const auto requests = api.requests();
  CHECK(calls(requests) == Calls{"GET /webhooks", "POST /webhooks"});
  check_authorized(requests);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body.empty());
  CHECK(json::parse(requests[1].body) == json{{"url", endpoint.url()},
                                             {"events", {"otp.reverse.verified", "text.incoming.sms"}},
                                             {"description", "production hook"}});
  CHECK(r.out.find("created: wh_1 " + endpoint.url()) != std::string::npos);
  CHECK(r.err.find("preflight (ctg check " + endpoint.url() + "): warn, 0 failed") != std::string::npos);
  // The preflight's signed sample reached the endpoint.
  bool signed_sample = false;
  for (const auto& request : endpoint.requests()) signed_sample |= request.header("Contiguity-Signature").has_value();
  CHECK(signed_sample);

  CHECK(read_file(secret_file) == k_created_secret + "\n");
  struct stat st {};
  REQUIRE(::stat(secret_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  check_no_leak(r);
  REQUIRE(api.webhooks().size() == 1);
  CHECK(api.webhooks()[0].url == endpoint.url());
}

TEST_CASE("cli::register a second time for the same URL sends no write and says it is already registered") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  TempDir home;
  const std::vector<std::string> args{"register", endpoint.url(), "--events", "text.*", "--ca-file",
                                      check_pki().root_ca_file};
  const auto first = run_ctg(args, env_for(api, home));
  INFO(first.out, first.err);
  REQUIRE(first.exit_code == 0);
  // The created secret was neither kept nor shown: a warning says where to find it, without it.
  CHECK(first.err.find("signing secret; it was not shown") != std::string::npos);
  check_no_leak(first);

  const auto second = run_ctg(args, env_for(api, home));
  INFO(second.out, second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.out.find("already registered: wh_1 " + endpoint.url()) != std::string::npos);
  CHECK(calls(api.writes()) == Calls{"POST /webhooks"});
  CHECK(calls(api.requests()) == Calls{"GET /webhooks", "POST /webhooks", "GET /webhooks"});
  check_no_leak(second);
}

TEST_CASE("cli::register updates only what changed, and --dry-run shows the diff without writing") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  api.add_webhook({.id = "wh_41", .url = endpoint.url(), .events = {"text.incoming.sms"}, .description = "old"});
  TempDir home;
  const std::vector<std::string> base{"register", endpoint.url(), "--events", "otp.reverse.verified", "--ca-file",
                                      check_pki().root_ca_file};

  auto dry = base;
  dry.push_back("--dry-run");
  const auto plan = run_ctg(dry, env_for(api, home));
  INFO(plan.out, plan.err);
  CHECK(plan.exit_code == 0);
  CHECK(plan.out.find("would update wh_41 " + endpoint.url()) != std::string::npos);
  CHECK(plan.out.find("events: text.incoming.sms -> otp.reverse.verified") != std::string::npos);
  CHECK(plan.err.find("dry run: nothing was written") != std::string::npos);
  CHECK(api.writes().empty());

  const auto done = run_ctg(base, env_for(api, home));
  INFO(done.out, done.err);
  CHECK(done.exit_code == 0);
  const auto writes = api.writes();
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].method == "PATCH");
  CHECK(writes[0].path == "/webhooks/wh_41");
  CHECK(json::parse(writes[0].body) == json{{"events", {"otp.reverse.verified"}}});  // the description is left alone
  check_authorized(writes);
  CHECK(done.out.find("updated: wh_41") != std::string::npos);
  REQUIRE(api.webhooks().size() == 1);
  CHECK(api.webhooks()[0].description == "old");
}

TEST_CASE("cli::register --dry-run --json plans a create and writes nothing") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  TempDir home;
  const auto r = run_ctg({"--json", "register", endpoint.url(), "--dry-run", "--ca-file", check_pki().root_ca_file},
                         env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  const auto report = json::parse(r.out);
  CHECK(report["action"] == "would_create");
  CHECK(report["dry_run"] == true);
  CHECK(report["request"] == json{{"url", endpoint.url()}, {"events", json::array()}});
  CHECK(report["preflight"]["failed"] == 0);
  CHECK(calls(api.requests()) == Calls{"GET /webhooks"});
}

TEST_CASE("cli::register stops on a failed preflight, and --force registers anyway") {
  TlsServer endpoint(endpoint_options(500));  // the signed sample gets a 500: a FAIL
  FakeApi api;
  TempDir home;
  const std::vector<std::string> args{"register", endpoint.url(), "--ca-file", check_pki().root_ca_file};
  const auto stopped = run_ctg(args, env_for(api, home));
  INFO(stopped.out, stopped.err);
  CHECK(stopped.exit_code == 1);
  CHECK(stopped.err.find("the endpoint failed the preflight (1 failed check); nothing was registered") !=
        std::string::npos);
  CHECK(stopped.err.find("✗ Signed sample") != std::string::npos);
  CHECK(api.requests().empty());

  auto forced_args = args;
  forced_args.push_back("--force");
  const auto forced = run_ctg(forced_args, env_for(api, home));
  INFO(forced.out, forced.err);
  CHECK(forced.exit_code == 0);
  CHECK(forced.err.find("registering despite the failed preflight (--force)") != std::string::npos);
  CHECK(calls(api.writes()) == Calls{"POST /webhooks"});
  check_no_leak(forced);
}

TEST_CASE("cli::register a refused token exits 3 at once, without retrying and without printing it") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  TempDir home;
  const std::string wrong = "contiguity_sk_wrong_token_987654321";
  const auto r = run_ctg({"-v", "register", endpoint.url(), "--ca-file", check_pki().root_ca_file},
                         env_for(api, home, wrong));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("the Contiguity API did not accept the API token (401 Unauthorized") != std::string::npos);
  CHECK(r.err.find("CONTIGUITY_API_KEY") != std::string::npos);
  CHECK(api.requests().size() == 1);
  CHECK(api.writes().empty());
  check_no_leak(r, wrong);
}

TEST_CASE("cli::register against an API without registration points to the Console and exits 3") {
  TlsServer endpoint(endpoint_options());
  FakeApi api({.offers_registration = false});
  TempDir home;
  const auto r = run_ctg({"register", endpoint.url(), "--ca-file", check_pki().root_ca_file}, env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("this Contiguity API does not offer webhook registration yet (GET " + api.base_url() +
                   "/webhooks answered 404 Not Found)") != std::string::npos);
  CHECK(r.err.find("https://console.contiguity.com") != std::string::npos);
  CHECK(api.requests().size() == 1);
  check_no_leak(r);
}

TEST_CASE("cli::register waits as Retry-After says on a 429, then goes on") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  api.fail_next(1, 429, FakeApi::top_level_error(429, "Too many requests"), {{"Retry-After", "1"}});
  TempDir home;
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_ctg({"register", endpoint.url(), "--ca-file", check_pki().root_ca_file}, env_for(api, home));
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(took >= 950ms);
  CHECK(r.err.find("rate limiting (429 Too Many Requests); retrying in 1.0 s (attempt 2 of 4)") != std::string::npos);
  CHECK(calls(api.requests()) == Calls{"GET /webhooks", "GET /webhooks", "POST /webhooks"});
  check_no_leak(r);
}

TEST_CASE("cli::webhooks list retries a 500 with backoff, then exits 3 with the API's words") {
  FakeApi api;
  api.fail_next(5, 500, FakeApi::error_envelope(500, "Internal Server Error"));
  TempDir home;
  const auto r = run_ctg({"webhooks", "list", "--retries", "1"}, env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("the Contiguity API answered 500 Internal Server Error to GET " + api.base_url() +
                   "/webhooks: Internal Server Error (after 2 attempts)") != std::string::npos);
  CHECK(r.err.find("retrying in 0.") != std::string::npos);
  CHECK(calls(api.requests()) == Calls{"GET /webhooks", "GET /webhooks"});
  CHECK(r.out.empty());
}

TEST_CASE("cli::webhooks list gives up on a slow API after --timeout, retries, and exits 3") {
  FakeApi api;
  api.delay_next(2, 1500ms);
  TempDir home;
  const auto r = run_ctg({"webhooks", "list", "--timeout", "0.3", "--retries", "1"}, env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("cannot reach the Contiguity API at " + api.base_url() + ": timed out after 300 ms") !=
        std::string::npos);
  CHECK(r.err.find("(after 2 attempts)") != std::string::npos);
  CHECK(api.requests().size() == 2);
}

TEST_CASE("cli::webhooks list shows a table, or JSON, of what is registered") {
  FakeApi api;
  api.add_webhook({.id = "wh_1", .url = "https://a.example/hook", .events = {}, .description = "prod",
                   .created_at_ms = 1764460800000});
  api.add_webhook({.id = "wh_2", .url = "https://b.example/hook", .events = {"otp.reverse.verified"}, .description = ""});
  TempDir home;
  const auto table = run_ctg({"webhooks", "list"}, env_for(api, home));
  INFO(table.out, table.err);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("ID    CREATED            EVENTS") == 0);
  CHECK(table.out.find("wh_1  2025-11-30 00:00Z  all                   https://a.example/hook  prod") != std::string::npos);
  CHECK(table.out.find("  otp.reverse.verified  https://b.example/hook\n") != std::string::npos);  // no description

  const auto listed = run_ctg({"--json", "webhooks", "list"}, env_for(api, home));
  INFO(listed.out, listed.err);
  CHECK(listed.exit_code == 0);
  const auto out = json::parse(listed.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == json{{"id", "wh_1"}, {"url", "https://a.example/hook"}, {"events", json::array()},
                       {"description", "prod"}, {"created_at", 1764460800000}});
  CHECK(out[1]["events"] == json{"otp.reverse.verified"});
  CHECK(calls(api.requests()) == Calls{"GET /webhooks", "GET /webhooks"});
  check_authorized(api.requests());
}

TEST_CASE("cli::webhooks delete needs --yes off a terminal, and deletes by URL or id") {
  FakeApi api;
  api.add_webhook({.id = "wh_7", .url = "https://a.example/hook"});
  api.add_webhook({.id = "wh_8", .url = "https://b.example/hook"});
  TempDir home;
  const auto refused = run_ctg({"webhooks", "delete", "wh_7"}, env_for(api, home));
  INFO(refused.out, refused.err);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("pass --yes") != std::string::npos);
  CHECK(api.requests().empty());

  const auto by_url = run_ctg({"webhooks", "delete", "https://A.example/hook", "--yes"}, env_for(api, home));
  INFO(by_url.out, by_url.err);
  CHECK(by_url.exit_code == 0);
  CHECK(by_url.out == "deleted: wh_7 https://a.example/hook\n");
  const auto by_id = run_ctg({"--json", "webhooks", "delete", "wh_8", "-y"}, env_for(api, home));
  INFO(by_id.out, by_id.err);
  CHECK(by_id.exit_code == 0);
  CHECK(json::parse(by_id.out)["deleted"] == true);
  CHECK(calls(api.writes()) == Calls{"DELETE /webhooks/wh_7", "DELETE /webhooks/wh_8"});
  check_authorized(api.writes());
  CHECK(api.webhooks().empty());

  const auto missing = run_ctg({"webhooks", "delete", "wh_9", "--yes"}, env_for(api, home));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no webhook endpoint with id wh_9 is registered") != std::string::npos);
  CHECK(api.writes().size() == 2);
}

TEST_CASE("cli::register over TLS to the API, trusting its CA with --ca-file") {
  TempDir home;
  const auto tls = make_api_tls_files(home);
  TlsServer endpoint(endpoint_options());
  FakeApi api({.cert_file = tls.cert_file, .key_file = tls.key_file});
  REQUIRE(api.base_url().starts_with("https://"));
  // One bundle trusts both the API's CA and the endpoint's root.
  const auto bundle = home.write("bundle.pem", read_file(tls.ca_file) + read_file(check_pki().root_ca_file));
  const auto r = run_ctg({"register", endpoint.url(), "--ca-file", bundle, "--show-secret"}, env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(calls(api.requests()) == Calls{"GET /webhooks", "POST /webhooks"});
  check_authorized(api.requests());
  // --show-secret is the one way the secret reaches the terminal.
  CHECK(r.out.find("secret: " + k_created_secret) != std::string::npos);
  CHECK(r.err.find(k_created_secret) == std::string::npos);

  // Without the CA, the API's certificate is refused: exit 3, nothing sent.
  FakeApi strict({.cert_file = tls.cert_file, .key_file = tls.key_file});
  const auto refused = run_ctg({"webhooks", "list"}, env_for(strict, home));
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("TLS") != std::string::npos);
  CHECK(strict.requests().empty());
}

TEST_CASE("cli::register and webhooks need a token, and take it from --token-file or ctg login") {
  FakeApi api;
  TempDir home;
  auto env = env_for(api, home);
  env.env.erase("CONTIGUITY_API_KEY");
  const auto none = run_ctg({"webhooks", "list"}, env);
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("no Contiguity API token") != std::string::npos);
  CHECK(none.err.find("ctg login") != std::string::npos);
  CHECK(api.requests().empty());

  const auto file = home.write("token.txt", k_token + "\n");
  const auto from_file = run_ctg({"webhooks", "list", "--token-file", file}, env);
  CHECK(from_file.exit_code == 0);

  auto login = env;
  login.stdin_data = k_token + "\n";
  REQUIRE(run_ctg({"login"}, login).exit_code == 0);
  const auto stored = run_ctg({"-v", "webhooks", "list"}, env);
  INFO(stored.out, stored.err);
  CHECK(stored.exit_code == 0);
  check_no_leak(stored);
  check_authorized(api.requests());
  CHECK(api.requests().size() == 2);
}

TEST_CASE("cli::register never creates twice: after a lost answer to the create it looks before posting again") {
  TlsServer endpoint(endpoint_options());
  FakeApi api;
  api.lose_next_answer("POST", 502);  // the API registers the endpoint, but the answer is a 502
  TempDir home;
  const auto r = run_ctg({"register", endpoint.url(), "--ca-file", check_pki().root_ca_file}, env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(calls(api.requests()) == Calls{"GET /webhooks", "POST /webhooks", "GET /webhooks"});
  CHECK(api.webhooks().size() == 1);
  CHECK(r.err.find("checking whether the endpoint was registered before trying again") != std::string::npos);
  CHECK(r.err.find("the endpoint was registered (wh_1) but the API's answer was lost") != std::string::npos);
  CHECK(r.out.find("created: wh_1") != std::string::npos);

  // When the create did not happen, it is posted again (once more, after looking).
  FakeApi flaky;
  flaky.fail_next(1, 200, R"({"object":"response","data":{"webhooks":[]}})");  // the first GET
  flaky.fail_next(1, 503, FakeApi::error_envelope(503, "Service Unavailable"));  // the POST, not carried out
  const auto again = run_ctg({"register", endpoint.url(), "--ca-file", check_pki().root_ca_file}, env_for(flaky, home));
  INFO(again.out, again.err);
  CHECK(again.exit_code == 0);
  CHECK(calls(flaky.requests()) == Calls{"GET /webhooks", "POST /webhooks", "GET /webhooks", "POST /webhooks"});
  CHECK(flaky.webhooks().size() == 1);
}

TEST_CASE("cli::webhooks list: a token without rights (403) exits 3 at once, naming the problem") {
  FakeApi api;
  api.fail_next(1, 403, FakeApi::error_envelope(403, "Forbidden"));
  TempDir home;
  const auto r = run_ctg({"webhooks", "list"}, env_for(api, home));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("the API token is not allowed to manage webhooks (403 Forbidden: Forbidden)") != std::string::npos);
  CHECK(api.requests().size() == 1);
  check_no_leak(r);
}

TEST_CASE("cli::register refuses an unknown event type before any call, with a suggestion") {
  FakeApi api;
  TempDir home;
  const auto r = run_ctg({"register", "https://127.0.0.1:9/hook", "--events", "text.incomming.sms"}, env_for(api, home));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown event type \"text.incomming.sms\"") != std::string::npos);
  CHECK(r.err.find("did you mean text.incoming.sms?") != std::string::npos);
  CHECK(api.requests().empty());
}

TEST_CASE("cli::webhooks warns before sending the token over plain http to another machine") {
  FakeApi api;  // on 127.0.0.1: loopback, no warning
  TempDir home;
  const auto local = run_ctg({"webhooks", "list"}, env_for(api, home));
  CHECK(local.exit_code == 0);
  CHECK(local.err.find("plain http") == std::string::npos);
  auto env = env_for(api, home);
  env.env["CONTIGUITY_API_BASE"] = "http://192.0.2.1:9";  // TEST-NET-1: nothing answers
  const auto remote = run_ctg({"webhooks", "list", "--timeout", "0.2", "--retries", "0"}, env);
  CHECK(remote.exit_code == 3);
  CHECK(remote.err.find("the API token would travel over plain http to 192.0.2.1") != std::string::npos);
  check_no_leak(remote);
}
