#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "../temp_dir.hpp"
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

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode;
}

// The names in `folder`, sorted.
std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("core::file::write_private gives the exact mode whatever the umask") {
  test::ScratchDir dir("ctg-file");
  for (const mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0277}}) {
    for (const mode_t mode : {mode_t{0600}, mode_t{0644}}) {
      CAPTURE(mask);
      CAPTURE(mode);
      const auto path = dir.file(fmt::format("m{:o}-{:o}", mask, mode));
      const auto old_mask = ::umask(mask);
      auto written = file::write_private(path, "content", mode);
      auto rewritten = file::write_private(path, "content 2", mode);  // over an existing file too
      ::umask(old_mask);
      REQUIRE(written.has_value());
      REQUIRE(rewritten.has_value());
      CHECK((mode_of(path) & 07777) == mode);
      CHECK(file::read(path).value() == "content 2");
    }
  }
}

TEST_CASE("core::file::write_private creates missing folders 0700 and leaves existing ones alone") {
  test::ScratchDir dir("ctg-file");
  REQUIRE(::chmod(dir.path().c_str(), 0751) == 0);
  const auto old_mask = ::umask(0);
  auto written = file::write_private(dir.file("a/b/c/secret"), "s");
  ::umask(old_mask);
  REQUIRE(written.has_value());
  CHECK((mode_of(dir.path()) & 0777) == 0751);
  CHECK((mode_of(dir.file("a")) & 0777) == 0700);
  CHECK((mode_of(dir.file("a/b")) & 0777) == 0700);
  CHECK((mode_of(dir.file("a/b/c")) & 0777) == 0700);
}

TEST_CASE("core::file::write_private is not redirected by symbolic links planted in its folder") {
  test::ScratchDir dir("ctg-file");
  const auto path = dir.file("token");
  const auto victim = dir.write("victim", "precious\n");
  // Every name the old scheme (`<path>.tmp-<pid>`) could use, this process's and its neighbours',
  // and a crowd of names of the new pattern: each a symbolic link to the victim, or dangling.
  std::vector<std::string> planted;
  const int pid = ::getpid();
  for (int p = std::max(1, pid - 200); p <= pid + 200; ++p) planted.push_back(path + ".tmp-" + std::to_string(p));
  for (int i = 0; i < 500; ++i) planted.push_back(path + ".tmp-" + random_alnum(12));
  for (std::size_t i = 0; i < planted.size(); ++i) {
    const std::string to = i % 2 == 0 ? victim : dir.file("dangling-" + std::to_string(i));
    REQUIRE(::symlink(to.c_str(), planted[i].c_str()) == 0);
  }
  for (int round = 0; round < 20; ++round) {
    REQUIRE(file::write_private(path, "the secret " + std::to_string(round) + "\n", 0600).has_value());
  }
  CHECK(file::read(victim).value() == "precious\n");
  CHECK(names_in(dir.path()).size() == planted.size() + 2);  // the links, the victim, the file
  for (std::size_t i = 0; i < planted.size(); i += 97) {
    CAPTURE(planted[i]);
    CHECK(S_ISLNK(mode_of(planted[i])));
    CHECK_FALSE(std::filesystem::exists(dir.file("dangling-" + std::to_string(i))));
  }
  CHECK(S_ISREG(mode_of(path)));
  CHECK((mode_of(path) & 07777) == 0600);
  CHECK(file::read(path).value() == "the secret 19\n");
}

TEST_CASE("core::file::write_private replaces a symbolic link at the path instead of writing through it") {
  test::ScratchDir dir("ctg-file");
  const auto victim = dir.write("victim", "precious\n");
  const auto path = dir.file("config");
  const auto victim_mode = mode_of(victim);
  REQUIRE(::symlink(victim.c_str(), path.c_str()) == 0);
  REQUIRE(file::write_private(path, "mine\n", 0644).has_value());
  CHECK(S_ISREG(mode_of(path)));
  CHECK((mode_of(path) & 07777) == 0644);
  CHECK(file::read(path).value() == "mine\n");
  CHECK(file::read(victim).value() == "precious\n");
  CHECK(mode_of(victim) == victim_mode);
}

TEST_CASE("core::file::write_private from several threads at once ends with one whole content") {
  test::ScratchDir dir("ctg-file");
  const auto path = dir.file("shared");
  constexpr int k_threads = 6;
  constexpr int k_writes = 40;
  std::vector<std::string> contents;
  for (int t = 0; t < k_threads; ++t) {
    contents.push_back(std::string(64 * 1024 + static_cast<std::size_t>(t), static_cast<char>('a' + t)));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_writes; ++i) {
        if (!file::write_private(path, contents[static_cast<std::size_t>(t)], 0600)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  const auto final_content = file::read(path).value();
  CHECK(std::find(contents.begin(), contents.end(), final_content) != contents.end());
  CHECK(names_in(dir.path()) == std::vector<std::string>{"shared"});  // no temporary left
  CHECK((mode_of(path) & 07777) == 0600);
}

TEST_CASE("core::file::write_private into a folder it may not write says so and leaves nothing") {
  test::ScratchDir dir("ctg-file");
  const auto folder = dir.file("locked");
  REQUIRE(::mkdir(folder.c_str(), 0755) == 0);
  const auto path = folder + "/secret";
  std::string message;
  if (::geteuid() == 0) {
    // Root writes anywhere: the attempt runs in a child that has become nobody (uid 65534).
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      std::string said = "could not drop privileges";
      if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
        auto written = file::write_private(path, "x");
        said = written ? "written" : written.error().message;
      }
      const auto ignored = ::write(pipe_fds[1], said.data(), said.size());
      (void)ignored;
      ::_exit(0);
    }
    ::close(pipe_fds[1]);
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
  } else {
    REQUIRE(::chmod(folder.c_str(), 0555) == 0);
    auto written = file::write_private(path, "x");
    message = written ? "written" : written.error().message;
    ::chmod(folder.c_str(), 0755);
  }
  CHECK(message == "cannot write " + path + ": permission denied");
  CHECK(names_in(folder).empty());
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
