// Test support: runs the built ctg binary as a separate process, as a user or CI would.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ctg::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;
  std::map<std::string, std::string> env;  // added to (or overriding) the test's environment
  std::vector<std::string> unset_env;      // removed from the environment
  std::string cwd;
};

// Runs `program` with `args`, feeding stdin_data and collecting stdout and stderr.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const RunOptions& options = {});

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

// Runs the ctg binary under test. CONTIGUITY_* variables and NO_COLOR are cleared unless given.
ProcessResult run_ctg(const std::vector<std::string>& args, const RunOptions& options = {});

// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string m_path;
};

}  // namespace ctg::test

namespace ctg::test {

// A process left running in the background (ctg listen), its stdout and stderr going to files.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::string& program, const std::vector<std::string>& args, const RunOptions& options = {});
  ~BackgroundProcess();  // SIGKILLs the process if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const { return m_pid; }
  void signal(int signo);
  // Waits for the exit; returns the exit code (128 + signal when killed), or -1 on timeout.
  int wait(int timeout_ms = 10000);
  bool running();
  std::string out() const;  // what it wrote to stdout so far
  std::string err() const;

 private:
  int m_pid = -1;
  int m_status = -1;
  TempDir m_dir;
};

// Starts `ctg ARGS` in the background (CONTIGUITY_* and NO_COLOR cleared unless given).
std::unique_ptr<BackgroundProcess> start_ctg(const std::vector<std::string>& args, const RunOptions& options = {});

// Waits until `path` exists and is non-empty; returns its content without the trailing newline,
// or "" after the timeout.
std::string wait_for_file(const std::string& path, int timeout_ms = 10000);

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

}  // namespace ctg::test
