// The command line as a whole: help, version, unknown commands, the exit-code contract.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "ctg/core/exit_code.hpp"
#include "process.hpp"

using ctg::test::run_ctg;

TEST_CASE("cli::help lists every command and the exit codes") {
  const auto r = run_ctg({"--help"});
  CHECK(r.exit_code == 0);
  for (const char* command : {"sign", "verify", "fixtures", "completion", "help"}) {
    CHECK_MESSAGE(r.out.find(std::string("\n  ") + command) != std::string::npos, command);
  }
  for (const auto& row : ctg::exit_code_table()) {
    CHECK(r.out.find(std::to_string(static_cast<int>(row.code)) + "  ") != std::string::npos);
    CHECK(r.out.find(std::string(row.meaning)) != std::string::npos);
  }
  CHECK(r.err.empty());
}

TEST_CASE("cli::version prints the version on stdout") {
  const auto r = run_ctg({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.starts_with("ctg " CTG_VERSION_FOR_TESTS));
}

TEST_CASE("cli::help COMMAND shows that command's options") {
  SUBCASE("one level") {
    const auto r = run_ctg({"help", "sign"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--timestamp") != std::string::npos);
    CHECK(r.out.find("--curl") != std::string::npos);
  }
  SUBCASE("nested") {
    const auto r = run_ctg({"help", "fixtures", "show"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--set") != std::string::npos);
  }
  SUBCASE("unknown") {
    const auto r = run_ctg({"help", "sing"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("did you mean 'sign'?") != std::string::npos);
  }
}

TEST_CASE("cli::unknown command suggests the nearest one, exit 2") {
  const auto r = run_ctg({"verfy", "x"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("ctg: error: unknown command 'verfy'") != std::string::npos);
  CHECK(r.err.find("did you mean 'verify'?") != std::string::npos);
}

TEST_CASE("cli::usage errors go to stderr with exit 2 and point to help") {
  const auto r = run_ctg({"sign", "--no-such-flag"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("ctg: error:") != std::string::npos);
  CHECK(r.err.find("ctg help sign") != std::string::npos);
}

TEST_CASE("cli::global options work before and after the command") {
  const auto before = run_ctg({"--json", "fixtures", "list"});
  const auto after = run_ctg({"fixtures", "list", "--json"});
  CHECK(before.exit_code == 0);
  CHECK(after.exit_code == 0);
  CHECK(before.out == after.out);
  CHECK(before.out.starts_with("["));
}

TEST_CASE("cli::--quiet hides warnings, --verbose adds notes") {
  const ctg::test::RunOptions body{.stdin_data = "{}"};
  const auto normal = run_ctg({"sign", "--secret", "whsec_x", "--secret", "whsec_y"}, body);
  CHECK(normal.err.find("warning") != std::string::npos);
  const auto quiet = run_ctg({"-q", "sign", "--secret", "whsec_x"}, body);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
  const auto verbose = run_ctg({"sign", "-v", "--secret", "whsec_x", "--secret", "whsec_y"}, body);
  CHECK(verbose.err.find("signing with the first") != std::string::npos);
  CHECK(normal.err.find("signing with the first") == std::string::npos);
}

// README.md documents the same exit codes as the code (exit_code_table), row for row.
TEST_CASE("cli::README's exit-code table agrees with the code") {
  std::ifstream readme(CTG_SOURCE_DIR "/README.md");
  REQUIRE(readme.good());
  std::stringstream text;
  text << readme.rdbuf();
  const std::string content = text.str();
  const std::regex row(R"(\|\s*`?(\d+)`?\s*\|\s*([^|\n]+?)\s*\|)");
  std::map<int, std::string> documented;
  for (auto it = std::sregex_iterator(content.begin(), content.end(), row); it != std::sregex_iterator(); ++it) {
    documented.emplace(std::stoi((*it)[1]), (*it)[2]);
  }
  for (const auto& code_row : ctg::exit_code_table()) {
    const int code = static_cast<int>(code_row.code);
    REQUIRE_MESSAGE(documented.contains(code), "README lacks exit code ", code);
    CHECK(documented[code] == code_row.meaning);
  }
}

TEST_CASE("cli::the ctg front-end loads neither cpp-httplib nor libssl") {
  // What keeps every non-network command's start-up short (bench/sign.sh measures it).
  // LD_TRACE_LOADED_OBJECTS makes the dynamic loader list what it loads and stop (what ldd does).
  const auto r = ctg::test::run_process(CTG_BINARY, {}, {.env = {{"LD_TRACE_LOADED_OBJECTS", "1"}}});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("libc.so") != std::string::npos);  // ldd did list the libraries
  CHECK(r.out.find("httplib") == std::string::npos);
  CHECK(r.out.find("libssl") == std::string::npos);
}

TEST_CASE("cli::a network command without ctg-net beside ctg says so, exit 3") {
  const ctg::test::TempDir dir;
  const std::string lone = dir.path() + "/ctg";
  std::filesystem::copy_file(CTG_BINARY, lone);
  std::filesystem::permissions(lone, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);

  const auto listen = ctg::test::run_process(lone, {"listen", "--port", "0"});
  CHECK(listen.exit_code == 3);
  CHECK(listen.err.find("needs ctg-net") != std::string::npos);
  CHECK(listen.err.find(dir.path() + "/ctg-net") != std::string::npos);  // where it looked

  // The command line is still the front-end's: usage errors and help need no ctg-net.
  CHECK(ctg::test::run_process(lone, {"listen", "--port", "x"}).exit_code == 2);
  CHECK(ctg::test::run_process(lone, {"help", "listen"}).exit_code == 0);
  CHECK(ctg::test::run_process(lone, {"fixtures", "list"}).exit_code == 0);
}
