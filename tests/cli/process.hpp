// Test support: runs the built ctg binary as a separate process, as a user or CI would.
#pragma once

#include <map>
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
