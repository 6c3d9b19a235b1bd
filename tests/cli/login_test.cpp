// ctg login and ctg logout, end to end through the binary, with XDG_CONFIG_HOME in a temp dir.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "process.hpp"

using ctg::test::read_file;
using ctg::test::run_ctg;
using ctg::test::RunOptions;
using ctg::test::TempDir;

namespace {
const std::string k_token = "contiguity_sk_live_cli_test_0123456789";

RunOptions in(const TempDir& config, std::string stdin_data = {}) {
  return RunOptions{.stdin_data = std::move(stdin_data), .env = {{"XDG_CONFIG_HOME", config.path()}}};
}

std::string credentials(const TempDir& config) {
  return config.path() + "/ctg/credentials";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}
}  // namespace

TEST_CASE("cli::login stores the token from stdin in a file of mode 0600") {
  TempDir config;
  const auto r = run_ctg({"login"}, in(config, k_token + "\n"));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "token stored in " + credentials(config) + " (mode 0600)\n");
  CHECK(r.err.empty());
  struct stat st {};
  REQUIRE(::stat(credentials(config).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(nlohmann::json::parse(read_file(credentials(config))) == nlohmann::json{{"token", k_token}});
}

TEST_CASE("cli::login never prints the token") {
  TempDir config;
  SUBCASE("normal") {
    const auto r = run_ctg({"login"}, in(config, k_token));
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, k_token));
    CHECK_FALSE(contains(r.err, k_token));
  }
  SUBCASE("verbose, with a warning that could quote it") {
    const std::string odd = "sk_not_contiguity_0123456789";
    const auto r = run_ctg({"login", "-v"}, in(config, odd));
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, odd));
    CHECK_FALSE(contains(r.err, odd));
  }
  SUBCASE("a token rejected for a space inside") {
    const auto r = run_ctg({"login", "-v"}, in(config, "contiguity_sk_first half"));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "whitespace or control characters"));
    CHECK_FALSE(contains(r.err, "contiguity_sk_first"));
    CHECK_FALSE(std::filesystem::exists(credentials(config)));
  }
}

TEST_CASE("cli::login with an empty stdin is a usage error") {
  TempDir config;
  for (const std::string input : {"", "\n"}) {
    const auto r = run_ctg({"login"}, in(config, input));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "ctg: error: the API token from standard input is empty"));
    CHECK(contains(r.err, "hint:"));
    CHECK_FALSE(std::filesystem::exists(credentials(config)));
  }
}

TEST_CASE("cli::login warns about a token that is not a Contiguity key, and stores it") {
  TempDir config;
  const auto r = run_ctg({"login"}, in(config, "sk_something_else_123456"));
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err,
                 "ctg: warning: this does not look like a Contiguity API key (they start with "
                 "contiguity_sk_); stored anyway"));
  CHECK(nlohmann::json::parse(read_file(credentials(config)))["token"] == "sk_something_else_123456");
  SUBCASE("-q hides the warning") {
    CHECK(run_ctg({"login", "-q"}, in(config, "sk_something_else_123456")).err.empty());
  }
}

TEST_CASE("cli::login --json") {
  TempDir config;
  const auto r = run_ctg({"login", "--json"}, in(config, k_token));
  CHECK(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j == nlohmann::json{{"stored", true}, {"path", credentials(config)}});
}

TEST_CASE("cli::login replaces a stored token") {
  TempDir config;
  REQUIRE(run_ctg({"login"}, in(config, k_token)).exit_code == 0);
  REQUIRE(run_ctg({"login"}, in(config, "contiguity_sk_second_token")).exit_code == 0);
  CHECK(nlohmann::json::parse(read_file(credentials(config)))["token"] == "contiguity_sk_second_token");
}

TEST_CASE("cli::login warns when the environment takes precedence") {
  TempDir config;
  for (const char* name : {"CONTIGUITY_API_KEY", "CONTIGUITY_TOKEN"}) {
    CAPTURE(name);
    auto options = in(config, k_token);
    options.env[name] = "contiguity_sk_from_the_environment";
    const auto r = run_ctg({"login"}, options);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, std::string(name) + " is set and takes precedence over the stored token"));
    CHECK_FALSE(contains(r.err, "contiguity_sk_from_the_environment"));
    CHECK(std::filesystem::exists(credentials(config)));
  }
}

TEST_CASE("cli::login then logout, twice") {
  TempDir config;
  REQUIRE(run_ctg({"login"}, in(config, k_token)).exit_code == 0);
  REQUIRE(std::filesystem::exists(credentials(config)));

  const auto first = run_ctg({"logout"}, in(config));
  CHECK(first.exit_code == 0);
  CHECK(first.out == "removed " + credentials(config) + "\n");
  CHECK_FALSE(std::filesystem::exists(credentials(config)));

  const auto second = run_ctg({"logout"}, in(config));
  CHECK(second.exit_code == 0);
  CHECK(second.out == "no stored token (" + credentials(config) + ")\n");
  CHECK(second.err.empty());
}

TEST_CASE("cli::login logout --json") {
  TempDir config;
  REQUIRE(run_ctg({"login"}, in(config, k_token)).exit_code == 0);
  CHECK(nlohmann::json::parse(run_ctg({"logout", "--json"}, in(config)).out) ==
        nlohmann::json{{"removed", true}, {"path", credentials(config)}});
  CHECK(nlohmann::json::parse(run_ctg({"logout", "--json"}, in(config)).out) ==
        nlohmann::json{{"removed", false}, {"path", credentials(config)}});
}
