// net::HttpServer over real loopback sockets: raw bytes where the wire matters (pipelining,
// trickling, half-closed connections), cpp-httplib's client where it does not, real TLS with a
// certificate made here.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ctg/net/http_server.hpp"
#include "ctg/tls/certificate.hpp"

using namespace ctg;
using namespace std::chrono_literals;

namespace {

// A server on a free loopback port, running on its own thread. Requests to /later are answered
// 150 ms afterwards from another thread; others at once, with the body's size.
class Served {
 public:
  explicit Served(net::ServerOptions options = {}) {
    auto created = net::HttpServer::create(std::move(options), [this](net::ServerRequest&& r, net::Responder respond) {
      {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(r);
      }
      if (r.error_status != 0) {
        respond({.status = r.error_status, .body = R"({"error":")" + r.error_message + R"("})"});
      } else if (r.request.target == "/later") {
        m_helpers.emplace_back([respond] {
          std::this_thread::sleep_for(150ms);
          respond({.status = 202, .body = "later"});
        });
      } else {
        respond({.status = 200, .body = "got " + std::to_string(r.request.body.size())});
      }
    });
    REQUIRE_MESSAGE(created.has_value(), (created ? "" : created.error().message));
    m_server = std::move(*created);
    const auto bound = m_server->bind();
    REQUIRE_MESSAGE(bound.has_value(), (bound ? "" : bound.error().message));
    m_thread = std::thread([this] { m_server->run(); });
  }
  ~Served() {
    m_server->stop();
    m_thread.join();
    for (auto& t : m_helpers) t.join();
  }
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;

  int port() const { return m_server->port(); }
  net::HttpServer& server() { return *m_server; }
  std::vector<net::ServerRequest> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

 private:
  std::unique_ptr<net::HttpServer> m_server;
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<net::ServerRequest> m_requests;
  std::vector<std::jthread> m_helpers;
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads until `count` answers have arrived whole (each with Content-Length), EOF, or the timeout.
std::string read_answers(int fd, int count, std::chrono::milliseconds timeout = 3000ms) {
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto whole = [&] {
    std::size_t pos = 0;
    for (int i = 0; i < count; ++i) {
      const auto end = in.find("\r\n\r\n", pos);
      if (end == std::string::npos) return false;
      const auto length_at = in.find("Content-Length: ", pos);
      const std::size_t length = length_at < end ? std::stoul(in.substr(length_at + 16)) : 0;
      if (in.size() < end + 4 + length) return false;
      pos = end + 4 + length;
    }
    return true;
  };
  while (!whole() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buffer[4096];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    in.append(buffer, static_cast<std::size_t>(n));
  }
  return in;
}

// True when the server closes the connection within the timeout (whatever it sends first).
bool closed_by_peer(int fd, std::chrono::milliseconds timeout = 2000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buffer[512];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
  return false;
}

const std::string k_request = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";

}  // namespace

TEST_CASE("net::HttpServer answers a POST and hands the handler the whole request") {
  Served served;
  httplib::Client client("127.0.0.1", served.port());
  const auto res = client.Post("/hook?x=1", R"({"id":"e"})", "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "got 10");
  const auto requests = served.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].request.method == "POST");
  CHECK(requests[0].request.target == "/hook?x=1");
  CHECK(requests[0].request.body == R"({"id":"e"})");
  CHECK(requests[0].request.header("Content-Type").value() == "application/json");
  CHECK(requests[0].peer.starts_with("127.0.0.1:"));
  CHECK(requests[0].error_status == 0);
}

TEST_CASE("net::HttpServer keeps connections and answers pipelined requests in order") {
  Served served;
  const int fd = connect_to(served.port());
  send_all(fd, k_request);
  const auto first = read_answers(fd, 1);
  CHECK(first.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(first.find("Connection: close") == std::string::npos);
  // Two more in one write: the slow one first, so the second must wait for it.
  send_all(fd, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" + k_request);
  const auto both = read_answers(fd, 2);
  const auto later = both.find("HTTP/1.1 202");
  const auto now = both.find("HTTP/1.1 200");
  REQUIRE(later != std::string::npos);
  REQUIRE(now != std::string::npos);
  CHECK(later < now);
  ::close(fd);
  CHECK(served.requests().size() == 3);
}

TEST_CASE("net::HttpServer deals connections to its loops, each finishing its rounds in on_round_end") {
  // A handler in the receiver's manner: requests wait in their loop's batch, answered together
  // at the end of the round; never from inside the handler itself.
  constexpr std::size_t k_loops = 2;
  std::mutex mutex;
  std::vector<std::vector<std::pair<net::Responder, std::string>>> waiting(k_loops);
  std::vector<int> rounds_with_work(k_loops, 0);
  std::set<std::size_t> loops_seen;
  net::ServerOptions options;
  options.loops = k_loops;
  options.on_round_end = [&](std::size_t loop) {
    std::vector<std::pair<net::Responder, std::string>> batch;
    {
      std::lock_guard lock(mutex);
      REQUIRE(loop < k_loops);
      batch.swap(waiting[loop]);
      if (!batch.empty()) ++rounds_with_work[loop];
    }
    for (auto& [respond, body] : batch) respond({.status = 200, .body = "echo " + body});
  };
  auto created = net::HttpServer::create(std::move(options), [&](net::ServerRequest&& r, net::Responder respond) {
    std::lock_guard lock(mutex);
    loops_seen.insert(r.loop);
    waiting[r.loop].emplace_back(std::move(respond), r.request.body);
  });
  REQUIRE(created.has_value());
  auto& server = **created;
  REQUIRE(server.bind().has_value());
  std::thread running([&] { server.run(); });

  // Eight clients at once, each with 25 requests in turn on its own connection.
  std::vector<std::thread> clients;
  std::atomic<int> right{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", server.port());
      for (int i = 0; i < 25; ++i) {
        const auto body = std::to_string(c) + "-" + std::to_string(i);
        const auto res = client.Post("/hook", body, "text/plain");
        if (res && res->status == 200 && res->body == "echo " + body) ++right;
      }
    });
  }
  for (auto& client : clients) client.join();
  CHECK(right == 8 * 25);
  // Three pipelined requests in one write: each answer lets the next through, in the same round.
  const int fd = connect_to(server.port());
  send_all(fd, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx" "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\ny"
               "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz");
  const auto answers = read_answers(fd, 3, 1000ms);
  const auto x = answers.find("echo x"), y = answers.find("echo y"), z = answers.find("echo z");
  CHECK(x != std::string::npos);
  CHECK(y != std::string::npos);
  CHECK(z != std::string::npos);
  CHECK((x < y && y < z));
  ::close(fd);
  server.stop();
  running.join();
  std::lock_guard lock(mutex);
  CHECK(loops_seen == std::set<std::size_t>{0, 1});  // both loops served
  CHECK(rounds_with_work[0] > 0);
  CHECK(rounds_with_work[1] > 0);
}

TEST_CASE("net::HttpServer answers HEAD without a body, and keeps the connection in step") {
  Served served;
  const int fd = connect_to(served.port());
  send_all(fd, "HEAD /hook HTTP/1.1\r\nHost: x\r\n\r\n" + k_request);
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + 3000ms;
  while (in.find("got 5") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buffer[1024];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    in.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  REQUIRE(in.starts_with("HTTP/1.1 200 OK\r\n"));
  const auto end = in.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  CHECK(in.substr(0, end).find("Content-Length: 5") != std::string::npos);  // of "got 0", left out
  // The second answer follows the HEAD answer's blank line directly.
  const auto second = in.substr(end + 4);
  CHECK(second.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(second.ends_with("got 5"));
}

TEST_CASE("net::HttpServer answers one connection while another waits for a late answer") {
  Served served;
  const int slow = connect_to(served.port());
  send_all(slow, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  const auto start = std::chrono::steady_clock::now();
  const int fast = connect_to(served.port());
  send_all(fast, k_request);
  const auto answer = read_answers(fast, 1);
  CHECK(answer.starts_with("HTTP/1.1 200"));
  CHECK(std::chrono::steady_clock::now() - start < 140ms);  // before the late answer is given
  CHECK(read_answers(slow, 1).starts_with("HTTP/1.1 202"));
  ::close(slow);
  ::close(fast);
}

TEST_CASE("net::HttpServer hands malformed requests to the handler, answers them, and closes") {
  Served served;
  const int fd = connect_to(served.port());
  send_all(fd, "POST /hook HTTP/1.1\r\nBad Header\r\n\r\n");
  const auto answer = read_answers(fd, 1);
  CHECK(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(answer.find("Connection: close\r\n") != std::string::npos);
  CHECK(answer.find("without ':'") != std::string::npos);
  CHECK(closed_by_peer(fd));
  ::close(fd);
  const auto requests = served.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].error_status == 400);
  CHECK(requests[0].request.method == "POST");  // as far as it was parsed
}

TEST_CASE("net::HttpServer answers a request whose client has half-closed, and records a cut one") {
  Served served;
  SUBCASE("whole request, then shutdown(SHUT_WR): the answer still arrives") {
    const int fd = connect_to(served.port());
    send_all(fd, k_request);
    ::shutdown(fd, SHUT_WR);
    CHECK(read_answers(fd, 1).starts_with("HTTP/1.1 200"));
    CHECK(closed_by_peer(fd));
    ::close(fd);
  }
  SUBCASE("a body cut short: the handler is told, with 400") {
    const int fd = connect_to(served.port());
    send_all(fd, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nonly this");
    ::shutdown(fd, SHUT_WR);
    CHECK(read_answers(fd, 1).starts_with("HTTP/1.1 400"));
    ::close(fd);
    const auto requests = served.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].error_status == 400);
    CHECK(requests[0].error_message.find("closed before the request was complete") != std::string::npos);
  }
}

TEST_CASE("net::HttpServer serves others while 50 clients trickle their headers, and times them out") {
  net::ServerOptions options;
  options.request_timeout = 600ms;
  Served served(options);
  std::vector<int> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(connect_to(served.port()));
    send_all(slow.back(), "P");
  }
  for (int round = 0; round < 3; ++round) {
    for (int fd : slow) send_all(fd, std::string(1, "OST"[round]));
    const auto start = std::chrono::steady_clock::now();
    const int fd = connect_to(served.port());
    send_all(fd, k_request);
    CHECK(read_answers(fd, 1).starts_with("HTTP/1.1 200"));
    CHECK(std::chrono::steady_clock::now() - start < 100ms);
    ::close(fd);
  }
  // Past request_timeout: each trickler gets 408 and is closed.
  CHECK(read_answers(slow.front(), 1, 3000ms).starts_with("HTTP/1.1 408"));
  CHECK(closed_by_peer(slow.front()));
  for (int fd : slow) ::close(fd);
  std::size_t timed_out = 0;
  for (const auto& r : served.requests()) timed_out += r.error_status == 408 ? 1 : 0;
  CHECK(timed_out >= 1);
}

TEST_CASE("net::HttpServer says 100 Continue to a client that expects it") {
  Served served;
  const int fd = connect_to(served.port());
  send_all(fd, "POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 2000) == 1);
  char buffer[64] = {};
  const auto n = ::recv(fd, buffer, sizeof buffer - 1, 0);
  CHECK(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == "HTTP/1.1 100 Continue\r\n\r\n");
  send_all(fd, "abc");
  CHECK(read_answers(fd, 1).find("got 3") != std::string::npos);
  ::close(fd);
}

TEST_CASE("net::HttpServer serves HTTPS with the certificate it is given") {
  const auto dir = std::filesystem::temp_directory_path() / ("ctg-server-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto key = tls::generate_key(tls::KeyType::ec_p256);
  REQUIRE(key.has_value());
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto cert = tls::self_signed({.common_name = "localhost", .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"},
                                .not_before = now - 60, .not_after = now + 3600},
                               *key);
  REQUIRE(cert.has_value());
  std::ofstream(dir / "cert.pem") << cert->certificate_pem;
  std::ofstream(dir / "key.pem") << key->private_key_pem;
  {
    net::ServerOptions options;
    options.cert_file = (dir / "cert.pem").string();
    options.key_file = (dir / "key.pem").string();
    Served served(options);
    CHECK(served.server().tls());
    httplib::SSLClient client("127.0.0.1", served.port());
    client.enable_server_certificate_verification(false);
    for (int i = 0; i < 3; ++i) {  // one connection, kept
      const auto res = client.Post("/hook", std::string(100'000, 'x'), "application/json");
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(res->body == "got 100000");
    }
    // Plain HTTP to the TLS port: the handshake fails, the server goes on.
    const int fd = connect_to(served.port());
    send_all(fd, k_request);
    CHECK(closed_by_peer(fd));
    ::close(fd);
    CHECK(static_cast<bool>(client.Post("/hook", "x", "text/plain")));
  }
  SUBCASE("a key that does not match is refused") {
    auto other = tls::generate_key(tls::KeyType::ec_p256);
    REQUIRE(other.has_value());
    std::ofstream(dir / "other.pem") << other->private_key_pem;
    net::ServerOptions options;
    options.cert_file = (dir / "cert.pem").string();
    options.key_file = (dir / "other.pem").string();
    auto created = net::HttpServer::create(options, [](net::ServerRequest&&, net::Responder) {});
    REQUIRE_FALSE(created.has_value());
    CHECK(created.error().kind == ErrorKind::usage);
    CHECK_MESSAGE(created.error().message.find("does not match") != std::string::npos, created.error().message);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("net::HttpServer on stop() still delivers the answers it owes, then returns") {
  Served served;
  const int fd = connect_to(served.port());
  send_all(fd, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  std::this_thread::sleep_for(30ms);  // the request is with the handler
  served.server().stop();
  const auto answer = read_answers(fd, 1);
  CHECK(answer.starts_with("HTTP/1.1 202"));
  CHECK(answer.find("Connection: close") != std::string::npos);
  ::close(fd);
}

TEST_CASE("net::HttpServer reports a busy port in words") {
  Served served;
  net::ServerOptions options;
  options.port = served.port();
  auto second = net::HttpServer::create(options, [](net::ServerRequest&&, net::Responder) {});
  REQUIRE(second.has_value());
  const auto bound = (*second)->bind();
  REQUIRE_FALSE(bound.has_value());
  CHECK(bound.error().kind == ErrorKind::io);
  CHECK(bound.error().message.find("address already in use") != std::string::npos);
}

// ---- bounds: descriptors, unread answers, pipelining, the budget of request bytes -------------

namespace {

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;  // one of them was the directory's own, now closed
}

std::int64_t process_cpu_us() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000LL + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

// Restores the soft descriptor limit when the test ends, however it ends.
class DescriptorLimit {
 public:
  DescriptorLimit() { ::getrlimit(RLIMIT_NOFILE, &m_saved); }
  ~DescriptorLimit() { restore(); }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;
  bool lower_to(rlim_t soft) {
    rlimit lowered = m_saved;
    lowered.rlim_cur = soft;
    return ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &m_saved); }

 private:
  rlimit m_saved{};
};

}  // namespace

TEST_CASE("net::HttpServer out of descriptors pauses accepting without spinning, serves on, and resumes") {
  Served served;
  const int kept = connect_to(served.port());
  send_all(kept, k_request);
  REQUIRE(read_answers(kept, 1).starts_with("HTTP/1.1 200"));
  // Sockets made now and connected once no descriptor is left: accept() meets EMFILE.
  std::vector<int> waiting;
  for (int i = 0; i < 5; ++i) waiting.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  // No assertion while no descriptor is left: the sanitizers' runtimes may need one to report it.
  const std::size_t descriptors = open_descriptors();
  DescriptorLimit limit;
  const bool lowered = limit.lower_to(descriptors - 1);
  int connected = 0;
  for (int fd : waiting) {  // queued in the listening socket's backlog
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(served.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected += ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 1 : 0;
  }
  const auto cpu_before = process_cpu_us();
  std::this_thread::sleep_for(600ms);
  const auto cpu_used = process_cpu_us() - cpu_before;
  // A connection the server holds already is served meanwhile.
  const bool sent = ::send(kept, k_request.data(), k_request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(k_request.size());
  const auto answer = read_answers(kept, 1);
  limit.restore();

  REQUIRE(lowered);
  CHECK(connected == 5);
  CHECK_MESSAGE(cpu_used < 200'000, "CPU time while out of descriptors: ", cpu_used, " us in 600 ms");
  CHECK(sent);
  CHECK(answer.starts_with("HTTP/1.1 200"));
  for (int fd : waiting) {
    send_all(fd, k_request);
    CHECK(read_answers(fd, 1, 5000ms).starts_with("HTTP/1.1 200"));
    ::close(fd);
  }
  ::close(kept);
}

TEST_CASE("net::HttpServer stops reading a client that does not read its answers") {
  std::atomic<std::size_t> handled{0};
  net::ServerOptions options;
  options.max_unsent = 64 * 1024;
  auto created = net::HttpServer::create(options, [&](net::ServerRequest&&, net::Responder respond) {
    ++handled;
    respond({.status = 200, .body = std::string(100, 'a')});
  });
  REQUIRE(created.has_value());
  auto& server = **created;
  REQUIRE(server.bind().has_value());
  std::thread running([&] { server.run(); });
  // Pipelines small requests as fast as the server takes them, never reading an answer.
  const int greedy = connect_to(server.port());
  const int small_buffer = 64 * 1024;
  ::setsockopt(greedy, SOL_SOCKET, SO_RCVBUF, &small_buffer, sizeof small_buffer);
  const std::string request = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += request;
  std::size_t sent_bytes = 0;
  std::string_view pending;
  auto stalled_since = std::chrono::steady_clock::now();
  const auto give_up = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < give_up && std::chrono::steady_clock::now() - stalled_since < 500ms) {
    pollfd p{greedy, POLLOUT, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    if (pending.empty()) pending = burst;
    const auto n = ::send(greedy, pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent_bytes += static_cast<std::size_t>(n);
      pending.remove_prefix(static_cast<std::size_t>(n));
      stalled_since = std::chrono::steady_clock::now();
    }
  }
  const std::size_t sent_requests = sent_bytes / request.size();
  // The server stops taking requests: the client's sends stall although it has more to send, and
  // the count of requests handled comes to rest while no answer is read.
  bool at_rest = false;
  for (int i = 0; i < 10 && !at_rest; ++i) {
    const std::size_t before = handled.load();
    std::this_thread::sleep_for(300ms);
    at_rest = handled.load() == before;
  }
  CHECK(at_rest);
  CHECK(handled.load() < sent_requests);
  CHECK(handled.load() < 100'000);
  // What the server holds for it: at most max_unsent of answers (plus the last one queued) and
  // one read-ahead of requests, whatever the kernel's socket buffers took before.
  const auto held = server.stats();
  CHECK_MESSAGE(held.unsent_bytes > 0, "handled ", handled.load(), " of ", sent_requests);
  CHECK(held.unsent_bytes <= options.max_unsent + 1024);
  CHECK_MESSAGE(held.held_bytes <= 96 * 1024, "held ", held.held_bytes);  // 64 KiB + one 16 KiB read
  CHECK(held.connections == 1);

  // Another client is served at once.
  const int other = connect_to(server.port());
  send_all(other, request);
  CHECK(read_answers(other, 1, 2000ms).starts_with("HTTP/1.1 200"));
  ::close(other);
  ::close(greedy);
  // Once its client has gone, nothing of it is held.
  for (int i = 0; i < 100 && server.stats().connections > 0; ++i) std::this_thread::sleep_for(20ms);
  const auto after = server.stats();
  CHECK(after.connections == 0);
  CHECK(after.unsent_bytes == 0);
  CHECK(after.held_bytes == 0);
  server.stop();
  running.join();
}

TEST_CASE("net::HttpServer hands over at most max_requests_per_round of one connection in a round") {
  // Counts, per connection (peer), the requests handed over between two ends of round.
  std::mutex mutex;
  std::map<std::string, std::size_t> this_round;
  std::size_t most_in_a_round = 0;
  std::vector<net::Responder> owed;
  net::ServerOptions options;
  options.max_requests_per_round = 4;
  options.on_round_end = [&](std::size_t) {
    std::vector<net::Responder> batch;
    {
      std::lock_guard lock(mutex);
      for (const auto& [peer, count] : this_round) most_in_a_round = std::max(most_in_a_round, count);
      this_round.clear();
      batch.swap(owed);
    }
    for (auto& respond : batch) respond({.status = 200, .body = "ok"});
  };
  auto created = net::HttpServer::create(std::move(options), [&](net::ServerRequest&& r, net::Responder respond) {
    std::lock_guard lock(mutex);
    ++this_round[r.peer];
    owed.push_back(std::move(respond));
  });
  REQUIRE(created.has_value());
  auto& server = **created;
  REQUIRE(server.bind().has_value());
  std::thread running([&] { server.run(); });

  // Three clients pipeline 200 requests each in one write; all are answered, in order.
  std::vector<std::thread> clients;
  std::atomic<int> complete{0};
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&] {
      const int fd = connect_to(server.port());
      std::string all;
      for (int i = 0; i < 200; ++i) all += "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
      send_all(fd, all);
      const auto answers = read_answers(fd, 200, 10000ms);
      std::size_t count = 0;
      for (auto at = answers.find("HTTP/1.1 200"); at != std::string::npos; at = answers.find("HTTP/1.1 200", at + 1)) ++count;
      if (count == 200) ++complete;
      ::close(fd);
    });
  }
  for (auto& client : clients) client.join();
  server.stop();
  running.join();
  CHECK(complete == 3);
  CHECK(most_in_a_round >= 1);
  CHECK(most_in_a_round <= 4);
}

TEST_CASE("net::HttpServer refuses with 503 a request that would take held bytes beyond max_buffered") {
  net::ServerOptions options;
  options.max_buffered = 1024 * 1024;
  options.limits.max_body = 512 * 1024;
  Served served(options);
  const std::string big_head = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 409600\r\n\r\n";
  std::vector<int> holders;
  for (int i = 0; i < 2; ++i) {  // 2 x 400 KiB declared: within the budget, bodies on their way
    holders.push_back(connect_to(served.port()));
    // "100 Continue" comes once the head is counted against the budget.
    send_all(holders.back(),
             "POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 409600\r\n\r\n");
    pollfd p{holders.back(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 3000) == 1);
    char buffer[64] = {};
    REQUIRE(::recv(holders.back(), buffer, sizeof buffer - 1, 0) > 0);
    REQUIRE(std::string_view(buffer).starts_with("HTTP/1.1 100 Continue"));
    send_all(holders.back(), std::string(300 * 1024, 'x'));
  }
  // Each declared body counts in full from its head on, not only the 300 KiB that came.
  CHECK(served.server().stats().held_bytes >= 2 * 409600);
  const int third = connect_to(served.port());
  send_all(third, big_head + std::string(1000, 'x'));
  const auto refused = read_answers(third, 1);
  CHECK(refused.starts_with("HTTP/1.1 503"));
  CHECK(closed_by_peer(third));
  ::close(third);
  // A small request still passes (the reserve for small requests).
  const int small = connect_to(served.port());
  send_all(small, k_request);
  CHECK(read_answers(small, 1).starts_with("HTTP/1.1 200"));
  ::close(small);
  // The held bodies complete normally; once they are done, a large request fits again.
  for (int fd : holders) {
    send_all(fd, std::string(100 * 1024, 'y'));
    CHECK(read_answers(fd, 1).find("got 409600") != std::string::npos);
    ::close(fd);
  }
  const int again = connect_to(served.port());
  send_all(again, big_head + std::string(409600, 'z'));
  CHECK(read_answers(again, 1).find("got 409600") != std::string::npos);
  ::close(again);
  for (int i = 0; i < 100 && served.server().stats().connections > 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(served.server().stats().held_bytes == 0);  // nothing counted is left behind
  std::size_t refusals = 0;
  for (const auto& r : served.requests()) refusals += r.error_status == 503 ? 1 : 0;
  CHECK(refusals == 1);
}
