#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ctg/api/credentials.hpp"
#include "ctg/core/file.hpp"
#include "../temp_dir.hpp"

using namespace ctg;

namespace {

const std::string k_token = "contiguity_sk_test_0123456789";

// Each test in a folder of its own.
struct TempDir : test::ScratchDir {
  TempDir() : ScratchDir("ctg-credentials") {}
};

// An environment of our own instead of the process's: `find_token` takes it as a parameter.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  const char* operator()(const char* name) const {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("api::credentials path follows XDG, else HOME") {
  CHECK(api::credentials_path("/x/config", "/home/u") == "/x/config/ctg/credentials");
  CHECK(api::credentials_path("/x/config/", "/home/u") == "/x/config/ctg/credentials");
  SUBCASE("a relative XDG_CONFIG_HOME is ignored") {
    CHECK(api::credentials_path("config", "/home/u") == "/home/u/.config/ctg/credentials");
  }
  SUBCASE("unset or empty XDG_CONFIG_HOME") {
    CHECK(api::credentials_path(nullptr, "/home/u") == "/home/u/.config/ctg/credentials");
    CHECK(api::credentials_path("", "/home/u/") == "/home/u/.config/ctg/credentials");
  }
}

TEST_CASE("api::credentials clean_token trims and rejects what cannot be a token") {
  CHECK(api::clean_token(k_token + "\n", "standard input").value() == k_token);
  CHECK(api::clean_token("  " + k_token + "\r\n", "standard input").value() == k_token);
  SUBCASE("empty") {
    for (const char* raw : {"", "\n", "  \t\n"}) {
      const auto r = api::clean_token(raw, "standard input");
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::usage);
      CHECK(r.error().message == "the API token from standard input is empty");
      CHECK_FALSE(r.error().hint.empty());
    }
  }
  SUBCASE("whitespace or control characters inside") {
    for (const std::string& raw :
         std::vector<std::string>{"contiguity_sk_a b", "contiguity_sk_a\nb", "contiguity_sk_a\tb",
                                  "contiguity_sk_a\x01_b", "contiguity_sk_a\x7f_b"}) {
      const auto r = api::clean_token(raw, "--token-file t.txt");
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::usage);
      CHECK(r.error().message == "the API token from --token-file t.txt holds whitespace or control characters");
      CHECK(r.error().message.find("contiguity_sk_a") == std::string::npos);
    }
  }
}

TEST_CASE("api::credentials find_token order: --token-file, API_KEY, TOKEN, stored") {
  TempDir dir;
  const auto stored = dir.file("config/ctg/credentials");
  REQUIRE(api::store_token(stored, "contiguity_sk_stored").has_value());
  const auto token_file = dir.write("token.txt", "contiguity_sk_file\n");
  FakeEnv env{{{"CONTIGUITY_API_KEY", "contiguity_sk_api_key"}, {"CONTIGUITY_TOKEN", "contiguity_sk_token"}}};

  auto found = api::find_token(token_file, env, stored);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->value == "contiguity_sk_file");
  CHECK((*found)->source == "--token-file " + token_file);

  found = api::find_token("", env, stored);
  CHECK((*found)->value == "contiguity_sk_api_key");
  CHECK((*found)->source == "CONTIGUITY_API_KEY");

  env.vars.erase("CONTIGUITY_API_KEY");
  found = api::find_token("", env, stored);
  CHECK((*found)->value == "contiguity_sk_token");
  CHECK((*found)->source == "CONTIGUITY_TOKEN");

  env.vars.erase("CONTIGUITY_TOKEN");
  found = api::find_token("", env, stored);
  CHECK((*found)->value == "contiguity_sk_stored");
  CHECK((*found)->source == "the stored credentials (" + stored + ")");

  SUBCASE("an environment variable set to the empty string counts as absent") {
    env.vars = {{"CONTIGUITY_API_KEY", ""}, {"CONTIGUITY_TOKEN", "contiguity_sk_token"}};
    CHECK((*api::find_token("", env, stored))->source == "CONTIGUITY_TOKEN");
    env.vars["CONTIGUITY_TOKEN"] = "";
    CHECK((*api::find_token("", env, stored))->source == "the stored credentials (" + stored + ")");
  }
  SUBCASE("nothing anywhere") {
    found = api::find_token("", FakeEnv{}, dir.file("missing/credentials"));
    REQUIRE(found.has_value());
    CHECK_FALSE(found->has_value());
  }
}

TEST_CASE("api::credentials find_token errors name the --token-file") {
  TempDir dir;
  SUBCASE("missing") {
    const auto r = api::find_token(dir.file("nope.txt"), FakeEnv{}, dir.file("credentials"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::io);
    CHECK(r.error().message.find(dir.file("nope.txt")) != std::string::npos);
  }
  SUBCASE("empty") {
    const auto path = dir.write("empty.txt", "\n");
    const auto r = api::find_token(path, FakeEnv{}, dir.file("credentials"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::usage);
    CHECK(r.error().message == "the API token from --token-file " + path + " is empty");
  }
}

TEST_CASE("api::credentials store_token writes mode 0600 in folders of mode 0700") {
  TempDir dir;
  const auto path = dir.file("config/ctg/credentials");
  const auto old_mask = ::umask(0);  // a permissive umask must not widen the modes
  const auto stored = api::store_token(path, k_token);
  ::umask(old_mask);
  REQUIRE(stored.has_value());
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(dir.file("config/ctg")) == 0700);
  CHECK(file::read(path).value() == "{\"token\":\"" + k_token + "\"}\n");
}

TEST_CASE("api::credentials round trip: store, find, replace, remove") {
  TempDir dir;
  const auto path = dir.file("ctg/credentials");
  REQUIRE(api::store_token(path, k_token).has_value());
  auto found = api::find_token("", FakeEnv{}, path);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->value == k_token);

  REQUIRE(api::store_token(path, "contiguity_sk_newer").has_value());
  CHECK((*api::find_token("", FakeEnv{}, path))->value == "contiguity_sk_newer");

  CHECK(api::remove_token(path).value() == true);
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(api::remove_token(path).value() == false);
  CHECK_FALSE(api::find_token("", FakeEnv{}, path)->has_value());
}

TEST_CASE("api::credentials a malformed credentials file is a usage error that never quotes the token") {
  TempDir dir;
  const std::string secret = "contiguity_sk_must_not_leak";
  for (const std::string& content :
       std::vector<std::string>{secret, "{\"token\": \"" + secret, "{\"key\": \"" + secret + "\"}",
                                "{\"token\": 42, \"x\": \"" + secret + "\"}", "[\"" + secret + "\"]",
                                "{\"token\": \"" + secret + " two\"}", "{\"token\": \"\"}"}) {
    CAPTURE(content);
    const auto path = dir.write("credentials", content);
    const auto r = api::find_token("", FakeEnv{}, path);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::usage);
    CHECK(r.error().message.find(path) != std::string::npos);
    CHECK(r.error().hint == "run 'ctg login' again");
    CHECK(r.error().message.find(secret) == std::string::npos);
    CHECK(r.error().hint.find(secret) == std::string::npos);
  }
}
