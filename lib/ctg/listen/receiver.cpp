#include "ctg/listen/receiver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/text.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::listen {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A pool that grows by one thread whenever work arrives and no thread is idle, up to `max`.
// httplib gives each connection a task for its whole keep-alive life, so a fixed pool would let
// a few slow clients starve everyone else.
class ElasticPool final : public httplib::TaskQueue {
 public:
  explicit ElasticPool(std::size_t max) : m_max(max) {}
  ~ElasticPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(m_mutex);
    m_jobs.push_back(std::move(fn));
    // m_idle counts threads that have not yet taken a job (a notified thread stays counted until it
    // wakes), so a burst of connections must be compared with it, not just "is anyone idle".
    if (m_jobs.size() > m_idle && m_threads.size() < m_max) m_threads.emplace_back([this] { work(); });
    lock.unlock();
    m_cv.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) return;
      m_stopping = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads) t.join();
  }

 private:
  void work() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(m_mutex);
        ++m_idle;
        m_cv.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
        --m_idle;
        if (m_jobs.empty()) return;  // stopping, and nothing left to do
        job = std::move(m_jobs.front());
        m_jobs.pop_front();
      }
      job();
    }
  }

  const std::size_t m_max;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  std::size_t m_idle = 0;
  bool m_stopping = false;
};

// Hands reports to the observer on one thread, in arrival order, off the request path.
class DisplayQueue {
 public:
  explicit DisplayQueue(ReceiverObserver& observer) : m_observer(observer), m_thread([this] { work(); }) {}
  ~DisplayQueue() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_cv.notify_one();
    m_thread.join();
  }
  void push(DeliveryReport report) {
    {
      std::lock_guard lock(m_mutex);
      m_reports.push_back(std::move(report));
    }
    m_cv.notify_one();
  }
  void push_error(Error error) {
    {
      std::lock_guard lock(m_mutex);
      m_errors.push_back(std::move(error));
    }
    m_cv.notify_one();
  }

 private:
  void work() {
    std::unique_lock lock(m_mutex);
    while (true) {
      m_cv.wait(lock, [this] { return m_stopping || !m_reports.empty() || !m_errors.empty(); });
      auto reports = std::move(m_reports);
      auto errors = std::move(m_errors);
      m_reports.clear();
      m_errors.clear();
      const bool stopping = m_stopping;
      lock.unlock();
      for (const auto& e : errors) m_observer.on_journal_error(e);
      for (const auto& r : reports) m_observer.on_delivery(r);
      lock.lock();
      if (stopping && m_reports.empty() && m_errors.empty()) return;
    }
  }

  ReceiverObserver& m_observer;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<DeliveryReport> m_reports;
  std::deque<Error> m_errors;
  bool m_stopping = false;
  std::thread m_thread;  // last: starts after the members it uses
};

// Per-thread state of the request being served (httplib serves one request at a time per thread).
thread_local bool tl_handled = false;
thread_local std::int64_t tl_started_ms = 0;
thread_local std::chrono::steady_clock::time_point tl_started;

// How much of a refused body is read and dropped to keep a keep-alive connection in step; a
// client that sends more is left to the read timeout.
constexpr std::uint64_t k_drain_limit = 64ULL * 1024 * 1024;

// The methods whose requests httplib reads a body for (and hands to a content handler).
bool may_carry_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The Content-Length of a request, when it has a valid one.
std::optional<std::uint64_t> declared_length(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  const auto value = req.get_header_value("Content-Length");
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) return std::nullopt;
  return n;
}

bool is_pseudo_header(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

std::string host_for_url(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// Why binding failed, in words: httplib only says that it did.
std::string bind_failure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const auto service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc));
  }
  int err = 0;
  const int fd = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd < 0) {
    err = errno;
  } else {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) err = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (err == EADDRINUSE) return "address already in use (is another ctg listen running? choose --port)";
  if (err == EACCES) return "permission denied (ports below 1024 need privileges; choose --port)";
  if (err == EADDRNOTAVAIL) return "address not available on this machine (check --host)";
  if (err != 0) return std::strerror(err);
  return "the server could not listen";
}

}  // namespace

struct Receiver::Impl {
  ReceiverOptions options;
  store::Journal& journal;
  Forwarder* forwarder;
  std::unique_ptr<httplib::Server> server;
  std::unique_ptr<DisplayQueue> display;
  int port = 0;
  bool tls = false;
  int listen_fd = -1;  // the listening socket, once bound

  Impl(ReceiverOptions o, store::Journal& j, Forwarder* f, ReceiverObserver& observer)
      : options(std::move(o)), journal(j), forwarder(f), display(std::make_unique<DisplayQueue>(observer)) {}

  bool shown(const std::string& type) const {
    if (options.event_filter.empty()) return true;
    for (const auto& glob : options.event_filter)
      if (text::glob_match(glob, type)) return true;
    return false;
  }

  void finish(const httplib::Request& req, httplib::Response& res, Verdict verdict, std::string body) {
    store::Delivery d;
    d.received_at_ms = tl_started_ms;
    d.peer = req.remote_addr.find(':') != std::string::npos
                 ? fmt::format("[{}]:{}", req.remote_addr, req.remote_port)
                 : fmt::format("{}:{}", req.remote_addr, req.remote_port);
    d.method = req.method;
    d.path = req.target.empty() ? req.path : req.target;
    for (const auto& [name, value] : req.headers)
      if (!is_pseudo_header(name)) d.headers.emplace_back(name, value);
    d.body = std::move(body);
    d.verification = verdict.verification;
    d.verification_message = verdict.verification_message;
    if (verdict.event) {
      d.event_id = verdict.event->id();
      d.event_type = verdict.event->type();
    }
    d.status = verdict.status;
    d.rejection = verdict.rejection;
    d.duration_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - tl_started).count();

    const bool show = d.event_type.empty() || shown(d.event_type);
    std::vector<std::string> targets;
    if (verdict.accepted() && show) targets = targets_for(options.targets, d.event_type);

    auto appended = journal.append(d, targets);
    if (!appended) {
      res.status = 503;
      res.set_content(nlohmann_free_error_answer(), "application/json");
      display->push_error(appended.error());
      return;
    }
    d.id = appended->id;
    if (appended->duplicate) {
      d.duplicate = true;
      targets.clear();
      verdict.answer = accepted_answer(d.event_id, true);
    }
    res.status = verdict.status;
    if (!verdict.allow.empty()) res.set_header("Allow", verdict.allow);
    res.set_content(verdict.answer, "application/json");
    if (!targets.empty() && forwarder != nullptr) forwarder->notify();

    DeliveryReport report;
    report.hints = std::move(verdict.hints);
    report.schema_issues = std::move(verdict.schema_issues);
    if (verdict.event) report.summary = events::summarize(*verdict.event);
    report.forwarded_to = std::move(targets);
    report.shown = show;
    report.delivery = std::move(d);
    display->push(std::move(report));
  }

  static std::string nlohmann_free_error_answer() {
    return R"({"received":false,"error":"journal_unavailable","message":"the delivery could not be stored; retry later"})";
  }

  void install_handlers() {
    auto& svr = *server;
    svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      tl_handled = true;
      tl_started = std::chrono::steady_clock::now();
      tl_started_ms = now_ms();
      // A request that may carry a body goes to the content handler below, which reads the body
      // (dropping it when the answer is already decided) before answering: answering first would
      // leave the body on a keep-alive connection, to be read as the next request.
      if (!may_carry_body(req.method)) {
        if (auto verdict = check_head(req.method, req.path, std::nullopt, options.policy)) {
          finish(req, res, std::move(*verdict), {});
          return httplib::Server::HandlerResponse::Handled;
        }
      }
      if (req.has_header("Content-Length")) {
        const auto length = declared_length(req);
        if (!length || *length > options.policy.max_body + k_drain_limit) {
          // Unframed, or more than is worth reading: answer at once (what follows on this
          // connection cannot be kept in step anyway).
          auto verdict = check_head(req.method, req.path, length, options.policy);
          if (!verdict) {
            verdict = reject(400, "invalid_content_length",
                             fmt::format("Content-Length \"{}\" is not a number of bytes",
                                         req.get_header_value("Content-Length")));
          }
          finish(req, res, std::move(*verdict), {});
          return httplib::Server::HandlerResponse::Handled;
        }
      } else if (!req.has_header("Transfer-Encoding")) {
        // Neither Content-Length nor Transfer-Encoding: the body is empty (RFC 9112, 6.3). httplib
        // would wait for the connection to close instead.
        auto verdict = check_head(req.method, req.path, std::nullopt, options.policy);
        if (!verdict) {
          verdict = judge_body({}, req.get_header_value(std::string(signing::k_header_name)), options.policy,
                               unix_now());
        }
        finish(req, res, std::move(*verdict), {});
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    const auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
      auto head = check_head(req.method, req.path, declared_length(req), options.policy);
      std::string body;
      bool too_large = false;
      std::uint64_t dropped = 0;
      const std::size_t max = options.policy.max_body;
      const bool complete = reader([&](const char* data, std::size_t size) {
        if (!head && !too_large && body.size() + size <= max) {
          body.append(data, size);
          return true;
        }
        // The answer is decided: read on, dropping the bytes, so that the connection stays in
        // step for the next request (up to a bound).
        too_large = too_large || !head;
        dropped += size;
        return dropped <= k_drain_limit;
      });
      Verdict verdict;
      if (head) {
        verdict = std::move(*head);
      } else if (too_large || (!complete && res.status == 413)) {
        verdict = reject(413, "body_too_large", fmt::format("body exceeds the limit of {} bytes", max));
      } else if (!complete) {
        verdict = reject(400, "body_unreadable", "the body could not be read in full (connection closed or timed out)");
      } else {
        verdict = judge_body(body, req.get_header_value(std::string(signing::k_header_name)), options.policy,
                             unix_now());
      }
      finish(req, res, std::move(verdict), std::move(body));
    };
    svr.Post(".*", with_body);
    svr.Put(".*", with_body);
    svr.Patch(".*", with_body);
    svr.Delete(".*", with_body);

    // Requests the HTTP parser itself refused (malformed request line or headers, URI too long)
    // never reach the handlers above; journal them here so that nothing goes unrecorded.
    svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      if (tl_handled) {
        tl_handled = false;
        return;
      }
      store::Delivery d;
      d.received_at_ms = now_ms();
      d.peer = fmt::format("{}:{}", req.remote_addr, req.remote_port);
      d.method = req.method;
      d.path = req.target;
      d.status = res.status;
      d.rejection = fmt::format("malformed_request: the HTTP request could not be parsed (answered {})", res.status);
      if (auto appended = journal.append(d, {}); appended) {
        d.id = appended->id;
        DeliveryReport report;
        report.delivery = std::move(d);
        display->push(std::move(report));
      } else {
        display->push_error(appended.error());
      }
    });
  }
};

Result<std::unique_ptr<Receiver>> Receiver::create(ReceiverOptions options, store::Journal& journal,
                                                   Forwarder* forwarder, ReceiverObserver& observer) {
  auto impl = std::make_unique<Impl>(std::move(options), journal, forwarder, observer);
  const auto& o = impl->options;
  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (o.cert_file.empty() || o.key_file.empty()) {
      return fail(ErrorKind::usage, "TLS needs both a certificate and a key (--cert and --key)");
    }
    auto ssl = std::make_unique<httplib::SSLServer>(o.cert_file.c_str(), o.key_file.c_str());
    if (!ssl->is_valid()) {
      return fail(ErrorKind::usage,
                  fmt::format("cannot use {} and {} for TLS: unreadable, not PEM, or the key does not match",
                              o.cert_file, o.key_file));
    }
    impl->server = std::move(ssl);
    impl->tls = true;
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  auto& svr = *impl->server;
  const std::size_t max_connections = std::max<std::size_t>(o.max_connections, 4);
  svr.new_task_queue = [max_connections] { return new ElasticPool(max_connections); };
  svr.set_socket_options([impl = impl.get()](int fd) {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl->listen_fd = fd;  // the last socket offered is the one httplib binds
  });
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(10000);
  svr.set_keep_alive_timeout(5);
  svr.set_read_timeout(o.read_timeout);
  svr.set_write_timeout(std::chrono::seconds(5));
  svr.set_payload_max_length(o.policy.max_body);
  impl->install_handlers();
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

Receiver::Receiver(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Receiver::~Receiver() {
  stop();
  m_impl->server.reset();   // joins the pool: no handler runs after this
  m_impl->display.reset();  // drains the reports still queued
}

Result<void> Receiver::bind() {
  const auto& o = m_impl->options;
  int port = o.port;
  if (port == 0) {
    port = m_impl->server->bind_to_any_port(o.host);
    if (port < 0) {
      return fail(ErrorKind::io, fmt::format("cannot bind {}: {}", o.host, bind_failure(o.host, 0)));
    }
  } else if (!m_impl->server->bind_to_port(o.host, port)) {
    return fail(ErrorKind::io, fmt::format("cannot bind {}:{}: {}", host_for_url(o.host), port,
                                           bind_failure(o.host, port)));
  }
  // httplib listens with a backlog of 5: a burst of senders' connections would overflow it and
  // wait for SYN retransmissions (1 s, 3 s, ...). Listening again only raises the backlog.
  if (m_impl->listen_fd >= 0) ::listen(m_impl->listen_fd, SOMAXCONN);
  m_impl->port = port;
  return {};
}

int Receiver::port() const { return m_impl->port; }

std::string Receiver::url() const {
  return fmt::format("{}://{}:{}{}", m_impl->tls ? "https" : "http", host_for_url(m_impl->options.host),
                     m_impl->port, m_impl->options.policy.path);
}

Result<void> Receiver::run() {
  if (!m_impl->server->listen_after_bind()) {
    return fail(ErrorKind::io, "the receiver stopped unexpectedly");
  }
  return {};
}

void Receiver::stop() {
  if (m_impl->server) m_impl->server->stop();
}

}  // namespace ctg::listen
