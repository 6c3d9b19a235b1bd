#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>

#include "ctg/core/clock.hpp"
#include "ctg/core/exit_code.hpp"
#include "ctg/core/file.hpp"

using namespace ctg;

namespace {
std::string temp_root() {
  auto dir = std::filesystem::temp_directory_path() / ("ctg-unit-" + random_alnum(8));
  return dir.string();
}
}  // namespace

TEST_CASE("core::file::write_private writes atomically with mode 0600") {
  const auto root = temp_root();
  const auto path = root + "/nested/secret.txt";
  const auto old_mask = ::umask(0);  // a permissive umask must not widen the file's mode
  auto written = file::write_private(path, "whsec_abc\n");
  ::umask(old_mask);
  REQUIRE(written.has_value());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(file::read(path).value() == "whsec_abc\n");
  std::filesystem::remove_all(root);
}

TEST_CASE("core::file::read reports what went wrong") {
  auto missing = file::read("/nonexistent/ctg/x.json");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == ErrorKind::io);
  CHECK(missing.error().message == "cannot read /nonexistent/ctg/x.json: no such file or directory");
  auto dir = file::read("/tmp");
  REQUIRE_FALSE(dir.has_value());
  CHECK(dir.error().message == "cannot read /tmp: it is a directory");
}

TEST_CASE("core::file::for_each_chunk streams in bounded chunks") {
  const auto root = temp_root();
  const std::string content(1'000'000, 'z');
  REQUIRE(file::write_private(root + "/big", content).has_value());
  std::size_t chunks = 0, largest = 0, total = 0;
  auto n = file::for_each_chunk(root + "/big", [&](std::string_view chunk) {
    ++chunks;
    largest = std::max(largest, chunk.size());
    total += chunk.size();
  });
  REQUIRE(n.has_value());
  CHECK(*n == content.size());
  CHECK(total == content.size());
  CHECK(chunks > 1);
  CHECK(largest <= 256 * 1024);
  std::filesystem::remove_all(root);
}

TEST_CASE("core::exit_code_for maps every error kind per the contract") {
  CHECK(exit_code_for(ErrorKind::check_failed) == ExitCode::failed);
  CHECK(exit_code_for(ErrorKind::usage) == ExitCode::usage);
  CHECK(exit_code_for(ErrorKind::invalid_input) == ExitCode::usage);
  CHECK(exit_code_for(ErrorKind::network) == ExitCode::cannot_run);
  CHECK(exit_code_for(ErrorKind::tls) == ExitCode::cannot_run);
  CHECK(exit_code_for(ErrorKind::io) == ExitCode::cannot_run);
  CHECK(exit_code_for(ErrorKind::refused) == ExitCode::cannot_run);
  CHECK(exit_code_for(ErrorKind::interrupted) == ExitCode::interrupted);
  CHECK(static_cast<int>(ExitCode::interrupted) == 130);
}

TEST_CASE("core::random_alnum") {
  const auto a = random_alnum(16);
  CHECK(a.size() == 16);
  CHECK(a != random_alnum(16));
  CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos);
}
