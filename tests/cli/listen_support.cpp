#include "listen_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/events/fixtures.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::test {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// Header lines of `head` (status line excluded) as name/value pairs.
std::vector<std::pair<std::string, std::string>> header_lines(std::string_view head) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = head.find("\r\n");
  while (start != std::string_view::npos) {
    start += 2;
    const auto end = head.find("\r\n", start);
    const auto line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) out.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    start = end;
  }
  return out;
}

}  // namespace

std::optional<std::string> HttpAnswer::header(std::string_view name) const {
  for (const auto& [key, value] : header_lines(head))
    if (iequals(key, name)) return value;
  return std::nullopt;
}

nlohmann::json HttpAnswer::json() const { return nlohmann::json::parse(body, nullptr, false); }

Connection::Connection(int port) {
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(m_fd);
    m_fd = -1;
    return;
  }
  const int yes = 1;
  ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

Connection::~Connection() {
  if (m_fd >= 0) ::close(m_fd);
}

bool Connection::send(std::string_view bytes) {
  static const bool ignore_sigpipe = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignore_sigpipe;
  while (!bytes.empty()) {
    const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Connection::shutdown_write() { ::shutdown(m_fd, SHUT_WR); }

HttpAnswer Connection::read_answer(int timeout_ms) {
  HttpAnswer answer;
  const auto start = std::chrono::steady_clock::now();
  std::string data = std::move(m_pending);
  m_pending.clear();
  std::optional<std::size_t> head_end;
  std::optional<std::size_t> length;
  char buffer[16384];
  while (true) {
    if (!head_end) {
      if (const auto pos = data.find("\r\n\r\n"); pos != std::string::npos) {
        head_end = pos + 4;
        answer.head = data.substr(0, pos);
        if (const auto value = answer.header("Content-Length")) length = std::stoull(*value);
      }
    }
    if (head_end && length && data.size() >= *head_end + *length) break;
    const auto left = timeout_ms - ms_since(start);
    if (left <= 0) return answer;  // status 0: timed out
    pollfd p{m_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      answer.elapsed = std::chrono::milliseconds(ms_since(start));
      return answer;
    }
    const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      answer.closed = true;
      if (!head_end || length) {  // no answer, or one cut short
        answer.elapsed = std::chrono::milliseconds(ms_since(start));
        answer.head.clear();
        return answer;
      }
      break;  // an answer framed by the close
    }
    data.append(buffer, static_cast<std::size_t>(n));
  }
  const std::size_t body_end = length ? *head_end + *length : data.size();
  answer.body = data.substr(*head_end, body_end - *head_end);
  m_pending = data.substr(body_end);
  const auto space = answer.head.find(' ');
  if (space != std::string::npos) answer.status = std::atoi(answer.head.c_str() + space + 1);
  if (const auto connection = answer.header("Connection"); connection && iequals(*connection, "close")) {
    answer.closed = true;
  }
  answer.elapsed = std::chrono::milliseconds(ms_since(start));
  return answer;
}

bool Connection::closed_by_server(int timeout_ms) {
  const auto start = std::chrono::steady_clock::now();
  char buffer[4096];
  while (ms_since(start) < timeout_ms) {
    pollfd p{m_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_ms - ms_since(start)));
    if (ready <= 0) continue;
    const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
  }
  return false;
}

HttpAnswer raw_exchange(int port, std::string_view bytes, int timeout_ms) {
  Connection connection(port);
  if (!connection.ok()) return {};
  connection.send(bytes);
  return connection.read_answer(timeout_ms);
}

std::string http_request(std::string_view method, std::string_view path, const Headers& headers,
                         std::string_view body, std::string_view version) {
  std::string out = fmt::format("{} {} {}\r\nHost: 127.0.0.1\r\n", method, path, version);
  bool framed = false;
  for (const auto& [name, value] : headers) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) framed = true;
    out += fmt::format("{}: {}\r\n", name, value);
  }
  if (!framed) out += fmt::format("Content-Length: {}\r\n", body.size());
  out += "\r\n";
  out += body;
  return out;
}

std::string sign_now(std::string_view body, const std::string& secret) {
  return signing::sign(secret, unix_now(), body);
}

SignedEvent make_event(const std::string& type, const std::string& secret) {
  auto fixture = events::find_fixture(type);
  REQUIRE(fixture.has_value());
  SignedEvent event;
  event.id = events::new_event_id();
  event.type = type;
  auto body = events::instantiate(*fixture, {.id = event.id, .timestamp = unix_now(), .pretty = false});
  REQUIRE(body.has_value());
  event.body = std::move(*body);
  event.signature = sign_now(event.body, secret);
  return event;
}

std::string delivery_request(const SignedEvent& event, std::string_view path, bool close) {
  Headers headers{{"Content-Type", "application/json"}, {"Contiguity-Signature", event.signature}};
  if (close) headers.emplace_back("Connection", "close");
  return http_request("POST", path, headers, event.body);
}

HttpAnswer deliver(int port, const SignedEvent& event, int timeout_ms) {
  return raw_exchange(port, delivery_request(event), timeout_ms);
}

// ---- tiny server ----------------------------------------------------------------------------------------

std::optional<std::string> ReceivedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return std::nullopt;
}

TinyServer::TinyServer(Answer answer) : m_answer(std::move(answer)) {
  m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(m_listen_fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(m_listen_fd, 16) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  m_port = ntohs(addr.sin_port);
  m_thread = std::thread([this] { serve(); });
}

TinyServer::~TinyServer() {
  m_stop = true;
  m_thread.join();
  ::close(m_listen_fd);
}

std::string TinyServer::url(std::string_view path) const {
  return fmt::format("http://127.0.0.1:{}{}", m_port, path);
}

std::vector<ReceivedRequest> TinyServer::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

void TinyServer::serve() {
  struct Client {
    int fd;
    std::string data;
  };
  std::vector<Client> clients;
  char buffer[16384];
  while (!m_stop) {
    std::vector<pollfd> fds{{m_listen_fd, POLLIN, 0}};
    for (const auto& c : clients) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents != 0) {
      const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) clients.push_back({fd, {}});
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto& client = clients[i - 1];
      const ssize_t n = ::recv(client.fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        ::close(client.fd);
        client.fd = -1;
        continue;
      }
      client.data.append(buffer, static_cast<std::size_t>(n));
      // Every complete request: headers, then Content-Length bytes.
      while (true) {
        const auto head_end = client.data.find("\r\n\r\n");
        if (head_end == std::string::npos) break;
        ReceivedRequest request;
        const std::string head = client.data.substr(0, head_end);
        const std::string request_line = head.substr(0, head.find("\r\n"));
        const auto space = request_line.find(' ');
        request.method = request_line.substr(0, space);
        request.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
        request.headers = header_lines(head);
        std::size_t length = 0;
        if (const auto value = request.header("Content-Length")) length = std::stoull(*value);
        if (client.data.size() < head_end + 4 + length) break;
        request.body = client.data.substr(head_end + 4, length);
        client.data.erase(0, head_end + 4 + length);
        int number = 0;
        {
          std::lock_guard lock(m_mutex);
          m_requests.push_back(std::move(request));
          number = static_cast<int>(m_requests.size());
        }
        const auto [status, body] = m_answer(number);
        const std::string answer = fmt::format(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{}", status, body.size(), body);
        ::send(client.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      }
    }
    std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
  }
  for (const auto& c : clients) ::close(c.fd);
}

// ---- listener ---------------------------------------------------------------------------------------

RunOptions listen_env(const TempDir& dir, const std::string& secret) {
  RunOptions options;
  options.env["XDG_STATE_HOME"] = dir.path() + "/state";
  options.env["XDG_CONFIG_HOME"] = dir.path() + "/config";
  if (!secret.empty()) options.env["CONTIGUITY_WEBHOOK_SECRET"] = secret;
  return options;
}

Listener::Listener(const TempDir& dir, ListenOptions options) {
  static std::atomic<int> counter{0};
  m_store = options.store.empty() ? dir.path() + "/events.db" : options.store;
  m_ready_file = dir.path() + fmt::format("/ready-{}", counter++);
  std::vector<std::string> args{"listen", "--port", std::to_string(options.port), "--ready-file", m_ready_file,
                                "--store", m_store};
  args.insert(args.end(), options.args.begin(), options.args.end());
  auto run = listen_env(dir, options.secret);
  for (const auto& [k, v] : options.env) run.env[k] = v;
  m_process = start_ctg(args, run);
  if (options.wait_ready) wait_ready();
}

bool Listener::wait_ready(int timeout_ms) {
  if (m_port > 0) return true;
  const auto start = std::chrono::steady_clock::now();
  std::string url;
  while (ms_since(start) < timeout_ms && m_process->running()) {
    url = wait_for_file(m_ready_file, 50);
    if (!url.empty()) break;
  }
  if (url.empty()) url = wait_for_file(m_ready_file, 0);
  if (url.empty()) return false;
  m_url = url;
  // "http://127.0.0.1:PORT/path"
  const auto host_end = url.find(':', url.find("://") + 3);
  if (host_end == std::string::npos) return false;
  m_port = std::atoi(url.c_str() + host_end + 1);
  return m_port > 0;
}

int Listener::stop(int signo, int timeout_ms) {
  m_process->signal(signo);
  return m_process->wait(timeout_ms);
}

std::vector<nlohmann::json> Listener::json_lines() const {
  std::vector<nlohmann::json> out;
  std::istringstream in(m_process->out());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) out.push_back(std::move(parsed));
  }
  return out;
}

nlohmann::json events_list(const std::string& store, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"events", "list", "--json", "--limit", "100000", "--store", store};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_ctg(args);
  INFO("events list stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(parsed.is_array());
  return parsed;
}

nlohmann::json events_show(const std::string& store, const std::string& id) {
  const auto r = run_ctg({"events", "show", id, "--json", "--store", store});
  INFO("events show stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

bool wait_until(const std::function<bool()>& predicate, int timeout_ms) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    if (predicate()) return true;
    if (ms_since(start) >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::int64_t ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ctg::test
