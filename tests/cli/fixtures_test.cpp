// ctg fixtures list / show, end to end through the binary.
#include <doctest/doctest.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "process.hpp"

using ctg::test::run_ctg;

TEST_CASE("cli::fixtures list shows every type with a description") {
  const auto r = run_ctg({"fixtures", "list"});
  CHECK(r.exit_code == 0);
  for (const char* type : {"text.incoming.sms", "email.incoming", "identity.verification_report.generated",
                           "communications.incoming.sms", "v1.sms"}) {
    CHECK_MESSAGE(r.out.find(type) != std::string::npos, type);
  }
  const auto j = nlohmann::json::parse(run_ctg({"fixtures", "list", "--json"}).out);
  int current = 0;
  for (const auto& row : j) {
    CHECK(!row["description"].get<std::string>().empty());
    if (row["generation"] == "current") ++current;
  }
  CHECK(current == 16);
}

TEST_CASE("cli::fixtures show gives a fresh id and the current timestamp") {
  const auto before = std::time(nullptr);
  const auto a = run_ctg({"fixtures", "show", "text.incoming.sms"});
  const auto b = run_ctg({"fixtures", "show", "text.incoming.sms"});
  REQUIRE(a.exit_code == 0);
  const auto ja = nlohmann::json::parse(a.out);
  const auto jb = nlohmann::json::parse(b.out);
  CHECK(ja["id"].get<std::string>().starts_with("evt_"));
  CHECK(ja["id"] != jb["id"]);
  CHECK(ja["timestamp"].get<long>() >= before);
  CHECK(ja["timestamp"].get<long>() <= std::time(nullptr));
  CHECK(ja["type"] == "text.incoming.sms");
  // Key order is the fixture's, not alphabetical.
  CHECK(a.out.find("\"id\"") < a.out.find("\"type\""));
  CHECK(a.out.find("\"type\"") < a.out.find("\"data\""));
}

TEST_CASE("cli::fixtures show --raw prints the file as shipped") {
  const auto r = run_ctg({"fixtures", "show", "email.incoming", "--raw"});
  CHECK(r.exit_code == 0);
  std::ifstream file(CTG_SOURCE_DIR "/fixtures/email.incoming.json", std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  CHECK(r.out == content.str());
}

TEST_CASE("cli::fixtures show --set overrides fields") {
  const auto r = run_ctg({"fixtures", "show", "text.incoming.mms", "--set", "data.body=Hi there", "--set",
                          "data.attachments=[]", "--set", "data.extra.count=3"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["data"]["body"] == "Hi there");
  CHECK(j["data"]["attachments"] == nlohmann::json::array());
  CHECK(j["data"]["extra"]["count"] == 3);

  const auto bad = run_ctg({"fixtures", "show", "text.incoming.sms", "--set", "novalue"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("ctg: error:") != std::string::npos);
}

TEST_CASE("cli::fixtures show of an unknown type lists the nearest names, exit 2") {
  const auto r = run_ctg({"fixtures", "show", "text.incomming.sms"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("unknown event type") != std::string::npos);
  CHECK(r.err.find("text.incoming.sms") != std::string::npos);
}

TEST_CASE("cli::a fixture signs and verifies through pipes") {
  const ctg::test::RunOptions env{.env = {{"CONTIGUITY_WEBHOOK_SECRET", "whsec_pipe"}}};
  const auto body = run_ctg({"fixtures", "show", "otp.reverse.verified"}).out;
  auto sign_options = env;
  sign_options.stdin_data = body;
  const auto header = run_ctg({"sign"}, sign_options).out;
  REQUIRE(!header.empty());
  auto verify_options = env;
  verify_options.stdin_data = body;
  const auto r = run_ctg({"verify", "--signature", header.substr(0, header.size() - 1)}, verify_options);
  CHECK(r.exit_code == 0);
}

TEST_CASE("cli::completion prints each shell's script") {
  CHECK(run_ctg({"completion", "bash"}).out.find("complete -F _ctg ctg") != std::string::npos);
  CHECK(run_ctg({"completion", "zsh"}).out.starts_with("#compdef ctg"));
  CHECK(run_ctg({"completion", "fish"}).out.find("complete -c ctg") != std::string::npos);
  CHECK(run_ctg({"completion", "powershell"}).exit_code == 2);
}
