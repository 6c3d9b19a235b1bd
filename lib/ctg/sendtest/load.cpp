#include "ctg/sendtest/load.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "ctg/core/text.hpp"
#include "ctg/events/fixtures.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/net/response_reader.hpp"
#include "ctg/signing/signature.hpp"

#ifndef CTG_VERSION
#define CTG_VERSION "0.0.0"
#endif

namespace ctg::sendtest {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::size_t k_id_length = 20;            // "evt_" and 16 characters
constexpr std::string_view k_marker = "evt_ctgLOADmarker00";  // and one more character: an id's length
static_assert(k_marker.size() + 1 == k_id_length);
constexpr std::chrono::milliseconds k_tick{50};
constexpr std::chrono::milliseconds k_progress_every{200};


// ---- requests ------------------------------------------------------------------------------------

// A payload rendered for one second: the id is a marker that each request overwrites in place.
struct Template {
  std::string body;
  std::size_t id_at = 0;
};

class RequestMaker {
 public:
  RequestMaker(const net::Url& url, std::span<const Payload> payloads, const PlanOptions& plan)
      : m_payloads(payloads), m_plan(plan) {
    std::string authority = url.origin();
    authority = authority.substr(authority.find("://") + 3);
    m_head = fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ctg/{}\r\nContent-Type: application/json\r\n",
                         url.target, authority, CTG_VERSION);
    if (plan.test_header) m_head += fmt::format("{}: true\r\n", k_test_header);
    for (const auto& [name, value] : plan.extra_headers) m_head += fmt::format("{}: {}\r\n", name, value);
    std::mt19937_64 random{std::random_device{}()};
    constexpr std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (char& c : m_prefix) c = alphabet[random() % alphabet.size()];
  }

  // Renders the payloads for the second `now` (once per second).
  Result<void> render(UnixSeconds now) {
    if (now == m_rendered_at && !m_templates.empty()) return {};
    m_templates.clear();
    const std::string marker = std::string(k_marker) + "X";
    for (const auto& payload : m_payloads) {
      events::InstantiateOptions options{.id = marker, .timestamp = now, .overrides = m_plan.overrides, .pretty = false};
      auto body = events::instantiate_body(payload.body, options);
      if (!body) return std::unexpected(body.error());
      Template t{std::move(*body), 0};
      t.id_at = t.body.find(marker);  // npos for a legacy v1 body, which has no id
      m_templates.push_back(std::move(t));
    }
    m_rendered_at = now;
    return {};
  }

  // The bytes of request number `n`.
  void make(std::uint64_t n, std::string& out) {
    Template& t = m_templates[n % m_templates.size()];
    if (t.id_at != std::string::npos) {
      // "evt_" + 8 characters of this run + 8 of the counter: unique within the run and across runs.
      char* id = t.body.data() + t.id_at + 4;
      std::memcpy(id, m_prefix.data(), m_prefix.size());
      constexpr std::string_view digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
      std::uint64_t v = n;
      for (int i = 15; i >= 8; --i) {
        id[i] = digits[v % digits.size()];
        v /= digits.size();
      }
    }
    out.clear();
    out += m_head;
    if (m_plan.secret) {
      out += signing::k_header_name;
      out += ": ";
      out += signing::sign(*m_plan.secret, m_rendered_at, t.body);
      out += "\r\n";
    }
    out += "Content-Length: ";
    out += std::to_string(t.body.size());
    out += "\r\n\r\n";
    out += t.body;
  }

 private:
  std::span<const Payload> m_payloads;
  const PlanOptions& m_plan;
  std::string m_head;
  std::array<char, 8> m_prefix{};
  std::vector<Template> m_templates;
  UnixSeconds m_rendered_at = 0;
};

// ---- connections ---------------------------------------------------------------------------------

struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

enum class Step { connecting, handshaking, writing, reading, waiting, idle };

struct Connection {
  int fd = -1;
  std::unique_ptr<SSL, SslDeleter> ssl;
  Step step = Step::idle;
  std::string out;
  std::size_t out_pos = 0;
  std::string in;
  net::ResponseReader reader;
  Clock::time_point started{};   // latency counts from here
  Clock::time_point deadline{};
  std::uint32_t interest = 0;
  bool in_flight = false;
};

class Engine {
 public:
  Engine(const net::Url& url, const LoadOptions& options, RequestMaker& maker, const LoadProgress& progress)
      : m_url(url), m_options(options), m_maker(maker), m_progress(progress) {}

  ~Engine() {
    for (auto& c : m_connections) drop(c);
    if (m_epoll >= 0) ::close(m_epoll);
  }

  Result<void> prepare() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const auto port = std::to_string(m_url.port);
    if (const int rc = ::getaddrinfo(m_url.host.c_str(), port.c_str(), &hints, &found); rc != 0 || found == nullptr) {
      return fail(ErrorKind::network, fmt::format("could not resolve {}", m_url.host));
    }
    std::memcpy(&m_address, found->ai_addr, found->ai_addrlen);
    m_address_length = found->ai_addrlen;
    m_family = found->ai_family;
    ::freeaddrinfo(found);
    if (m_url.scheme == "https") {
      m_tls.reset(SSL_CTX_new(TLS_client_method()));
      if (!m_tls) return fail(ErrorKind::internal, "cannot set up TLS");
      if (!m_options.insecure) {
        SSL_CTX_set_verify(m_tls.get(), SSL_VERIFY_PEER, nullptr);
        const bool loaded = m_options.ca_file.empty()
                                ? SSL_CTX_set_default_verify_paths(m_tls.get()) == 1
                                : SSL_CTX_load_verify_locations(m_tls.get(), m_options.ca_file.c_str(), nullptr) == 1;
        if (!loaded) {
          return fail(ErrorKind::io, fmt::format("cannot read CA file {}", m_options.ca_file.empty() ? "(system)" : m_options.ca_file));
        }
      }
    }
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) return fail(ErrorKind::io, fmt::format("epoll: {}", std::strerror(errno)));
    return {};
  }

  LoadStats run() {
    const std::uint64_t budget = m_options.count;
    m_connections.resize(std::max<std::size_t>(1, budget > 0 ? std::min<std::uint64_t>(m_options.concurrency, budget)
                                                              : m_options.concurrency));
    m_start = Clock::now();
    m_stop_at = m_options.duration.count() > 0 ? m_start + m_options.duration : Clock::time_point::max();
    m_next_progress = m_start + k_progress_every;
    for (std::size_t i = 0; i < m_connections.size(); ++i) next_request(i);
    std::array<epoll_event, 256> events;
    while (m_in_flight > 0 || !m_waiting.empty()) {
      const auto now = Clock::now();
      auto wake = now + k_tick;
      if (!m_waiting.empty()) wake = std::min(wake, due(m_issued));
      const auto wait_ms = std::max<std::int64_t>(0, duration_cast<std::chrono::milliseconds>(wake - now).count());
      const int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), static_cast<int>(wait_ms));
      for (int i = 0; i < n; ++i) {
        const auto& e = events[static_cast<std::size_t>(i)];
        on_event(e.data.u64, e.events);
      }
      release_waiting();
      check_deadlines();
      if (m_progress && Clock::now() >= m_next_progress) {
        m_stats.elapsed = duration_cast<microseconds>(Clock::now() - m_start);
        m_progress(m_stats);
        m_next_progress = Clock::now() + k_progress_every;
      }
    }
    m_stats.elapsed = duration_cast<microseconds>(Clock::now() - m_start);
    return std::move(m_stats);
  }

 private:
  Clock::time_point due(std::uint64_t n) const {
    if (m_options.rate <= 0) return Clock::time_point::min();
    return m_start + duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(n) / m_options.rate));
  }

  bool more_to_send(Clock::time_point now) const {
    if (m_options.count > 0 && m_issued >= m_options.count) return false;
    if (m_options.rate > 0 && m_options.duration.count() > 0) return due(m_issued) < m_stop_at;
    return now < m_stop_at;
  }

  // Gives connection i its next request, or lets it go when there is none.
  void next_request(std::size_t i) {
    Connection& c = m_connections[i];
    const auto now = Clock::now();
    if (!more_to_send(now)) {
      drop(c);
      return;
    }
    if (m_options.rate > 0 && due(m_issued) > now) {
      c.step = Step::waiting;
      m_waiting.push_back(i);
      return;
    }
    issue(i, m_options.rate > 0 ? due(m_issued) : now);
  }

  void release_waiting() {
    const auto now = Clock::now();
    while (!m_waiting.empty()) {
      if (!more_to_send(now)) {
        for (auto i : m_waiting) drop(m_connections[i]);
        m_waiting.clear();
        return;
      }
      if (due(m_issued) > now) return;
      const auto i = m_waiting.front();
      m_waiting.pop_front();
      issue(i, due(m_issued));
    }
  }

  void issue(std::size_t i, Clock::time_point started) {
    Connection& c = m_connections[i];
    const auto unix = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    if (auto rendered = m_maker.render(unix); !rendered) {
      // The payloads rendered once already at the start, so this does not happen; count it.
      ++m_stats.failures[rendered.error().message];
    }
    m_maker.make(m_issued, c.out);
    ++m_issued;
    ++m_stats.sent;
    ++m_in_flight;
    c.in_flight = true;
    c.out_pos = 0;
    c.started = started;
    c.deadline = Clock::now() + m_options.timeout;
    c.reader.reset();
    if (c.fd < 0) {
      connect(i);
    } else {
      c.step = Step::writing;
      write(i);
    }
  }

  void connect(std::size_t i) {
    Connection& c = m_connections[i];
    c.fd = ::socket(m_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return failed(i, fmt::format("socket: {}", std::strerror(errno)));
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.in.clear();
    c.interest = 0;
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&m_address), m_address_length) != 0 && errno != EINPROGRESS) {
      return failed(i, connect_error(errno));
    }
    c.step = Step::connecting;
    interest(i, EPOLLOUT);
  }

  static std::string connect_error(int error) {
    switch (error) {
      case ECONNREFUSED:
        return "connection refused";
      case ENETUNREACH:
        return "network is unreachable";
      case EHOSTUNREACH:
        return "host is unreachable";
      case ECONNRESET:
        return "connection reset";
      default:
        return std::strerror(error);
    }
  }

  void interest(std::size_t i, std::uint32_t events) {
    Connection& c = m_connections[i];
    if (c.interest == events) return;
    epoll_event e{.events = events, .data = {.u64 = i}};
    ::epoll_ctl(m_epoll, c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &e);
    c.interest = events;
  }

  void on_event(std::size_t i, std::uint32_t events) {
    if (i >= m_connections.size()) return;
    Connection& c = m_connections[i];
    if (c.fd < 0) return;
    switch (c.step) {
      case Step::connecting: {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) return failed(i, connect_error(error));
        if (m_tls) {
          c.ssl.reset(SSL_new(m_tls.get()));
          SSL_set_fd(c.ssl.get(), c.fd);
          const bool ip = m_url.host.find_first_not_of("0123456789.") == std::string::npos ||
                          m_url.host.find(':') != std::string::npos;
          if (!ip) {  // SNI; SSL_set_tlsext_host_name() is a macro with a C cast
            SSL_ctrl(c.ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(m_url.host.c_str()));
          }
          if (!m_options.insecure) {
            if (ip) {
              X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl.get()), m_url.host.c_str());
            } else {
              SSL_set1_host(c.ssl.get(), m_url.host.c_str());
            }
          }
          c.step = Step::handshaking;
          return handshake(i);
        }
        c.step = Step::writing;
        return write(i);
      }
      case Step::handshaking:
        return handshake(i);
      case Step::writing:
        return write(i);
      case Step::reading:
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) return read(i);
        return;
      case Step::waiting:
      case Step::idle:
        // A keep-alive connection between requests: the server closed it, or sent what was not asked.
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) close_socket(c);
        return;
    }
  }

  void handshake(std::size_t i) {
    Connection& c = m_connections[i];
    ERR_clear_error();
    const int rc = SSL_connect(c.ssl.get());
    if (rc == 1) {
      c.step = Step::writing;
      return write(i);
    }
    const int error = SSL_get_error(c.ssl.get(), rc);
    if (error == SSL_ERROR_WANT_READ) return interest(i, EPOLLIN);
    if (error == SSL_ERROR_WANT_WRITE) return interest(i, EPOLLOUT);
    failed(i, net::describe_tls_failure(c.ssl.get(), m_url.host));
  }

  void write(std::size_t i) {
    Connection& c = m_connections[i];
    while (c.out_pos < c.out.size()) {
      const char* data = c.out.data() + c.out_pos;
      const std::size_t size = c.out.size() - c.out_pos;
      if (c.ssl) {
        ERR_clear_error();
        const int sent = SSL_write(c.ssl.get(), data, static_cast<int>(size));
        if (sent <= 0) {
          const int error = SSL_get_error(c.ssl.get(), sent);
          if (error == SSL_ERROR_WANT_WRITE) return interest(i, EPOLLOUT);
          if (error == SSL_ERROR_WANT_READ) return interest(i, EPOLLIN);
          return failed(i, "connection reset");
        }
        c.out_pos += static_cast<std::size_t>(sent);
      } else {
        const ssize_t sent = ::send(c.fd, data, size, MSG_NOSIGNAL);
        if (sent < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) return interest(i, EPOLLOUT);
          return failed(i, connect_error(errno));
        }
        c.out_pos += static_cast<std::size_t>(sent);
      }
    }
    c.step = Step::reading;
    interest(i, EPOLLIN);
  }

  void read(std::size_t i) {
    Connection& c = m_connections[i];
    std::array<char, 16384> buffer;
    bool eof = false;
    while (true) {
      ssize_t n = 0;
      if (c.ssl) {
        ERR_clear_error();
        const int got = SSL_read(c.ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
        if (got <= 0) {
          const int error = SSL_get_error(c.ssl.get(), got);
          if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
          eof = true;
          break;
        }
        n = got;
      } else {
        n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
        if (n == 0) {
          eof = true;
          break;
        }
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;
          eof = true;
          break;
        }
      }
      c.in.append(buffer.data(), static_cast<std::size_t>(n));
      if (!c.ssl && static_cast<std::size_t>(n) < buffer.size()) break;
    }
    std::size_t consumed = 0;
    const auto state = c.reader.read(c.in, eof, consumed);
    if (state == net::ResponseReader::State::incomplete) {
      if (eof) failed(i, "the connection closed before a complete answer arrived");
      return;
    }
    if (state == net::ResponseReader::State::malformed) {
      return failed(i, eof && c.in.empty() ? "the connection closed before a complete answer arrived"
                                           : "the answer is not valid HTTP/1.1");
    }
    const auto status = c.reader.status();
    m_stats.latency.record(duration_cast<microseconds>(Clock::now() - c.started));
    ++m_stats.completed;
    ++m_stats.statuses[status];
    if (m_options.expect.matches(status)) ++m_stats.succeeded;
    c.in.erase(0, consumed);
    c.in_flight = false;
    --m_in_flight;
    if (eof || c.reader.close() || !c.in.empty()) close_socket(c);
    c.step = Step::idle;
    next_request(i);
  }

  void check_deadlines() {
    const auto now = Clock::now();
    for (std::size_t i = 0; i < m_connections.size(); ++i) {
      const Connection& c = m_connections[i];
      if (c.in_flight && now >= c.deadline) {
        failed(i, c.step == Step::connecting || c.step == Step::handshaking ? "timed out connecting"
                                                                              : "timed out waiting for the answer");
      }
    }
  }

  // The request in flight on connection i gets no answer: counted, the connection closed, the next
  // request started on a fresh one.
  void failed(std::size_t i, const std::string& why) {
    Connection& c = m_connections[i];
    ++m_stats.failures[why];
    close_socket(c);
    if (c.in_flight) {
      c.in_flight = false;
      --m_in_flight;
    }
    c.step = Step::idle;
    next_request(i);
  }

  void close_socket(Connection& c) {
    c.ssl.reset();
    if (c.fd >= 0) {
      ::close(c.fd);  // also leaves the epoll set
      c.fd = -1;
    }
    c.interest = 0;
    c.in.clear();
  }

  void drop(Connection& c) {
    close_socket(c);
    c.step = Step::idle;
  }

  const net::Url& m_url;
  const LoadOptions& m_options;
  RequestMaker& m_maker;
  const LoadProgress& m_progress;
  sockaddr_storage m_address{};
  socklen_t m_address_length = 0;
  int m_family = AF_INET;
  std::unique_ptr<SSL_CTX, SslDeleter> m_tls;
  int m_epoll = -1;
  std::vector<Connection> m_connections;
  std::deque<std::size_t> m_waiting;
  std::uint64_t m_issued = 0;
  std::uint64_t m_in_flight = 0;
  Clock::time_point m_start{};
  Clock::time_point m_stop_at{};
  Clock::time_point m_next_progress{};
  LoadStats m_stats;
};

}  // namespace

double LoadStats::throughput() const {
  if (elapsed.count() <= 0) return 0;
  return static_cast<double>(completed) / (static_cast<double>(elapsed.count()) / 1e6);
}

Result<LoadStats> run_load(const net::Url& url, std::span<const Payload> payloads, const PlanOptions& plan,
                           const LoadOptions& options, const LoadProgress& progress) {
  if (payloads.empty()) return fail(ErrorKind::usage, "nothing to send");
  if (options.count == 0 && options.duration.count() <= 0) {
    return fail(ErrorKind::usage, "load mode needs --count or --duration");
  }
  RequestMaker maker(url, payloads, plan);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (auto rendered = maker.render(now); !rendered) return std::unexpected(rendered.error());
  Engine engine(url, options, maker, progress);
  if (auto prepared = engine.prepare(); !prepared) return std::unexpected(prepared.error());
  return engine.run();
}

}  // namespace ctg::sendtest
