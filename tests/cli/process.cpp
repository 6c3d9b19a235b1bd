#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <stdexcept>

extern char** environ;

namespace ctg::test {

namespace {

std::vector<std::string> build_environment(const RunOptions& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& name : options.unset_env) env.erase(name);
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// Starts `program` with `args` and the environment of `options`, with `actions` applied (and then
// destroyed). Returns posix_spawn's error number, 0 on success.
int spawn(const std::string& program, const std::vector<std::string>& args, const RunOptions& options,
          posix_spawn_file_actions_t& actions, pid_t& pid) {
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_storage = build_environment(options);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

}  // namespace

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const RunOptions& options) {
  // A child that exits before reading all of its stdin must not kill the test with SIGPIPE.
  static const bool ignore_sigpipe = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignore_sigpipe;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  pid_t pid = 0;
  const int rc = spawn(program, args, options, actions, pid);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));

  ProcessResult result;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (options.stdin_data.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  char buffer[65536];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        const auto left = options.stdin_data.size() - written;
        const ssize_t k = ::write(in_fd, options.stdin_data.data() + written, left);
        if (k > 0) written += static_cast<std::size_t>(k);
        if (k < 0 && errno != EAGAIN) written = options.stdin_data.size();
        if (written == options.stdin_data.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      const ssize_t k = ::read(fds[i].fd, buffer, sizeof buffer);
      if (k > 0) {
        (fds[i].fd == out_fd ? result.out : result.err).append(buffer, static_cast<std::size_t>(k));
      } else if (k == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        (fds[i].fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

namespace {
RunOptions clean_ctg_env(const RunOptions& options) {
  RunOptions o = options;
  for (const char* name : {"CONTIGUITY_WEBHOOK_SECRET", "CONTIGUITY_API_KEY", "CONTIGUITY_TOKEN", "NO_COLOR",
                           "CTG_PORT", "CTG_HOST", "CTG_PATH", "CTG_STORE"}) {
    if (!o.env.contains(name)) o.unset_env.emplace_back(name);
  }
  return o;
}
}  // namespace

ProcessResult run_ctg(const std::vector<std::string>& args, const RunOptions& options) {
  return run_process(CTG_BINARY, args, clean_ctg_env(options));
}

BackgroundProcess::BackgroundProcess(const std::string& program, const std::vector<std::string>& args,
                                     const RunOptions& options) {
  const std::string out_path = m_dir.path() + "/stdout";
  const std::string err_path = m_dir.path() + "/stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  pid_t pid = 0;
  const int rc = spawn(program, args, options, actions, pid);
  if (rc != 0) throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
  m_pid = pid;
}

BackgroundProcess::~BackgroundProcess() {
  if (running()) {
    ::kill(m_pid, SIGKILL);
    wait(5000);
  }
}

void BackgroundProcess::signal(int signo) { ::kill(m_pid, signo); }

bool BackgroundProcess::running() {
  if (m_status != -1) return false;
  int status = 0;
  const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
  if (r == m_pid) {
    m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

int BackgroundProcess::wait(int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    if (!running()) return m_status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string BackgroundProcess::out() const { return read_file(m_dir.path() + "/stdout"); }
std::string BackgroundProcess::err() const { return read_file(m_dir.path() + "/stderr"); }

std::unique_ptr<BackgroundProcess> start_ctg(const std::vector<std::string>& args, const RunOptions& options) {
  return std::make_unique<BackgroundProcess>(CTG_BINARY, args, clean_ctg_env(options));
}

std::string wait_for_file(const std::string& path, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    std::string content = read_file(path);
    if (!content.empty() && content.back() == '\n') {
      content.pop_back();
      return content;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ctg-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string full = m_path + "/" + name;
  std::ofstream(full, std::ios::binary) << content;
  return full;
}

}  // namespace ctg::test
