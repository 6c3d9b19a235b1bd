// Test support for `ctg listen` and `ctg events`: a listener process in a private folder, raw HTTP
// over loopback sockets (so that hostile traffic can be sent byte for byte), signed events.
#pragma once

#include <chrono>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace ctg::test {

inline constexpr const char* k_listen_secret = "whsec_e2e_listen_secret";
inline constexpr const char* k_webhook_path = "/contiguity/webhook";

// ---- raw HTTP over loopback ----------------------------------------------------------------------

struct HttpAnswer {
  int status = 0;        // 0: no (complete) answer before the connection closed or the timeout
  std::string head;      // status line and headers
  std::string body;
  bool closed = false;   // the server closed the connection after this answer (or without one)
  std::chrono::milliseconds elapsed{0};

  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
  nlohmann::json json() const;  // the body parsed; a discarded value when it is not JSON
};

// A TCP connection to 127.0.0.1:port; the socket closes with the object.
class Connection {
 public:
  explicit Connection(int port);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return m_fd >= 0; }
  int fd() const { return m_fd; }
  bool send(std::string_view bytes);
  void shutdown_write();
  // Reads one answer (framed by Content-Length, else read to close), waiting at most timeout_ms.
  HttpAnswer read_answer(int timeout_ms = 5000);
  // True when the server closed the connection within timeout_ms (reads and drops whatever comes).
  bool closed_by_server(int timeout_ms);

 private:
  int m_fd = -1;
  std::string m_pending;  // bytes read past the previous answer
};

// Connects, sends `bytes`, reads one answer, closes.
HttpAnswer raw_exchange(int port, std::string_view bytes, int timeout_ms = 5000);

using Headers = std::vector<std::pair<std::string, std::string>>;

// "POST <path> HTTP/1.1" with Host, the given headers, Content-Length (unless a Content-Length or
// Transfer-Encoding header is given) and the body.
std::string http_request(std::string_view method, std::string_view path, const Headers& headers,
                         std::string_view body, std::string_view version = "HTTP/1.1");

// ---- events ---------------------------------------------------------------------------------------

struct SignedEvent {
  std::string id;
  std::string type;
  std::string body;
  std::string signature;  // Contiguity-Signature value
};

// A fresh fixture of `type` (new id, current timestamp), compact, signed with `secret` now.
SignedEvent make_event(const std::string& type = "text.incoming.sms", const std::string& secret = k_listen_secret);
// `body` signed with `secret` now.
std::string sign_now(std::string_view body, const std::string& secret = k_listen_secret);

// The request that delivers `event` to `path`.
std::string delivery_request(const SignedEvent& event, std::string_view path = k_webhook_path,
                             bool close = false);
// Delivers `event` on a fresh connection and reads the answer.
HttpAnswer deliver(int port, const SignedEvent& event, int timeout_ms = 5000);

// ---- a tiny HTTP target, for forwarding ------------------------------------------------------------

struct ReceivedRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

// An HTTP/1.1 server on 127.0.0.1 (its own thread, one connection at a time, keep-alive) that
// records every request and answers `answer(n)` (n = 1, 2, ... in arrival order): a status, and
// the answer body.
class TinyServer {
 public:
  using Answer = std::function<std::pair<int, std::string>(int n)>;
  explicit TinyServer(Answer answer);
  ~TinyServer();
  TinyServer(const TinyServer&) = delete;
  TinyServer& operator=(const TinyServer&) = delete;

  int port() const { return m_port; }
  std::string url(std::string_view path = "/hook") const;
  std::vector<ReceivedRequest> requests() const;

 private:
  void serve();
  Answer m_answer;
  int m_listen_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  std::vector<ReceivedRequest> m_requests;
  std::thread m_thread;
};

// ---- a ctg listen process --------------------------------------------------------------------------

struct ListenOptions {
  std::vector<std::string> args;           // extra flags (--json goes here too)
  std::string secret = k_listen_secret;    // CONTIGUITY_WEBHOOK_SECRET; "" leaves it unset
  std::string store;                       // default: <dir>/events.db
  int port = 0;
  bool wait_ready = true;                  // wait for the ready file (else check ready() yourself)
  std::vector<std::pair<std::string, std::string>> env;
};

// `ctg listen --port P --ready-file F --store S` with XDG_STATE_HOME and XDG_CONFIG_HOME inside `dir`.
class Listener {
 public:
  Listener(const TempDir& dir, ListenOptions options = {});

  bool ready() const { return m_port > 0; }
  int port() const { return m_port; }
  const std::string& url() const { return m_url; }
  const std::string& store() const { return m_store; }
  const std::string& ready_file() const { return m_ready_file; }
  BackgroundProcess& process() { return *m_process; }
  // Waits for the ready file; true when it came.
  bool wait_ready(int timeout_ms = 10000);
  // SIGTERM and wait; returns the exit code (-1 on timeout).
  int stop(int signo = 15, int timeout_ms = 15000);
  // Parsed JSON lines of stdout (with --json).
  std::vector<nlohmann::json> json_lines() const;

 private:
  std::string m_store;
  std::string m_ready_file;
  std::string m_url;
  int m_port = 0;
  std::unique_ptr<BackgroundProcess> m_process;
};

// The environment every ctg process of these tests runs with (XDG_* inside `dir`).
RunOptions listen_env(const TempDir& dir, const std::string& secret = k_listen_secret);

// `ctg events list --json --limit 100000 --store STORE [extra...]`, parsed (REQUIREs exit 0).
nlohmann::json events_list(const std::string& store, const std::vector<std::string>& extra = {});
// `ctg events show ID --json --store STORE`, parsed.
nlohmann::json events_show(const std::string& store, const std::string& id);

// Polls `predicate` every 20 ms until it holds or timeout_ms passes; returns its last value.
bool wait_until(const std::function<bool()>& predicate, int timeout_ms = 10000);

// Milliseconds since `start`.
std::int64_t ms_since(std::chrono::steady_clock::time_point start);

}  // namespace ctg::test
