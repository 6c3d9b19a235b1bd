#include "ctg/net/http_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <climits>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "ctg/net/socket.hpp"

namespace ctg::net {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t k_listen_key = 0;
constexpr std::uint64_t k_wake_key = 1;
constexpr std::chrono::milliseconds k_tick{100};  // how often timeouts are looked at
constexpr std::size_t k_read_chunk = 16 * 1024;
// Input read beyond the request being parsed (the next pipelined ones) at most, per connection.
constexpr std::size_t k_read_ahead = 64 * 1024;
// A connection closed after an error answer (413, 503, 400...) while its client may still be
// sending is half-closed first and its input read and dropped for at most this long (or this
// much), so that the client reads the answer instead of a reset (RFC 9112, 9.6).
constexpr std::chrono::milliseconds k_linger{2000};
constexpr std::uint64_t k_linger_bytes = 4 * 1024 * 1024;
// A request holding at most this counts against the budget's reserve for small requests too.
constexpr std::size_t k_small_request = 64 * 1024;
// Buffers grown beyond this by one large request are given back once empty, so that thousands of
// idle keep-alive connections do not each keep the largest buffer they ever needed.
constexpr std::size_t k_kept_capacity = 2 * k_read_chunk;


std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

struct Connection {
  std::uint64_t id = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer;
  RequestParser parser;
  std::string in;  // received, from in_pos on not yet parsed
  std::size_t in_pos = 0;
  std::string out;  // to send, from out_pos on
  std::size_t out_pos = 0;
  std::uint64_t request = 0;  // sequence number of the request last handed to the handler
  bool waiting = false;       // that request is with the handler, unanswered
  bool close_after = false;   // close once `out` is written
  bool continue_sent = false;
  bool peer_closed = false;   // no more input: EOF or an error
  bool tls_wants_write = false;
  bool started = false;       // bytes of a request not yet handed over have arrived
  bool keep_alive = true;     // of the request handed over
  bool http10 = false;        // of the request handed over
  bool head = false;          // the request handed over is a HEAD: its answer has no body
  bool registered = true;     // in the epoll set
  bool deferred = false;      // in the loop's list of connections with input to parse next round
  bool lingering = false;     // answered and half-closed: what still comes is read and dropped
  std::uint64_t drained = 0;  // bytes dropped while lingering
  Clock::time_point linger_until;
  bool declared_known = false;  // the head of the request being read is parsed: `declared` is set
  std::uint64_t declared = 0;   // its Content-Length body, counted in `held` from the head on
  std::size_t held = 0;         // request bytes counted in the server's total (max_buffered)
  std::uint64_t round = 0;      // the loop's round in which `served` was counted
  std::size_t served = 0;       // requests handed over in that round
  Clock::time_point started_at;
  Clock::time_point last_activity;
  std::uint32_t interest = 0;

  explicit Connection(ParserLimits limits) : parser(limits) {}
};

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}

struct Responder::Mailbox {
  struct Letter {
    std::uint64_t connection;
    std::uint64_t request;
    ServerAnswer answer;
  };
  // A connection accepted by another loop, for this one to serve.
  struct Arrival {
    int fd;
    std::string peer;
  };
  std::mutex mutex;
  std::vector<Letter> letters;    // guarded by mutex
  std::vector<Arrival> arrivals;  // guarded by mutex
  bool open = true;               // guarded by mutex; false once the server is gone
  int wake_fd = -1;
  // The loop's own thread: it looks at its mailbox after each round, so it need not be woken.
  std::atomic<std::thread::id> loop_thread{};

  void post(Letter letter) {
    bool wake = false;
    {
      std::lock_guard lock(mutex);
      if (!open) return;
      wake = letters.empty() && arrivals.empty();
      letters.push_back(std::move(letter));
    }
    if (wake && std::this_thread::get_id() != loop_thread.load(std::memory_order_relaxed)) wake_loop();
  }
  // False when the loop has gone: the caller keeps (and closes) the descriptor.
  bool adopt(Arrival arrival) {
    bool wake = false;
    {
      std::lock_guard lock(mutex);
      if (!open) return false;
      wake = letters.empty() && arrivals.empty();
      arrivals.push_back(std::move(arrival));
    }
    if (wake) wake_loop();
    return true;
  }
  void wake_loop() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd, &one, sizeof one);
  }
};

void Responder::operator()(ServerAnswer answer) const {
  if (m_mailbox) m_mailbox->post({m_connection, m_request, std::move(answer)});
}

namespace {
struct Loop;
}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  ServerHandler handler;
  int listen_fd = -1;  // watched by loop 0, which deals the connections it accepts to all loops
  int port = 0;
  SSL_CTX* tls = nullptr;
  std::vector<std::unique_ptr<Loop>> loops;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_connections{0};  // over all loops
  std::atomic<std::size_t> held_bytes{0};        // request bytes held, over all loops (max_buffered)
  std::size_t next_loop = 0;                     // loop 0's: who gets the next connection

  ~Impl();
  Result<void> open_tls();
  Result<void> open_socket();
  void run();
};

namespace {

void release(Connection& c) {
  if (c.ssl != nullptr) SSL_free(c.ssl);
  if (c.fd >= 0) ::close(c.fd);
  c.ssl = nullptr;
  c.fd = -1;
}

// One event loop, on its own thread: the connections dealt to it, from accept to close.
struct Loop {
  HttpServer::Impl& server;
  const ServerOptions& options;
  const std::size_t index;
  int epoll_fd = -1;
  std::shared_ptr<Responder::Mailbox> mailbox = std::make_shared<Responder::Mailbox>();
  std::unordered_map<std::uint64_t, Connection> connections;
  std::uint64_t next_id = 2;
  std::uint64_t handed = 0;  // requests handed to the handler so far
  std::vector<Responder::Mailbox::Letter> letters;     // the loop's copy, swapped out of the mailbox
  std::vector<Responder::Mailbox::Arrival> arrivals;   // likewise
  std::uint64_t round = 0;                   // rounds of network events so far
  std::vector<std::uint64_t> deferred;       // connections with input to parse in the next round
  bool listening = false;                    // the listening socket is in this loop's epoll set
  // Answer bytes queued on this loop's connections and not yet sent (written by this loop's thread
  // only; read by HttpServer::stats() from any thread).
  std::atomic<std::size_t> unsent_bytes{0};
  bool accept_paused = false;                // out of descriptors: listening taken out until...
  Clock::time_point accept_resumes{};        // ...then

  Loop(HttpServer::Impl& s, std::size_t i) : server(s), options(s.options), index(i) {}

  ~Loop() {
    {
      std::lock_guard lock(mailbox->mutex);
      mailbox->open = false;
      for (auto& arrival : mailbox->arrivals) ::close(arrival.fd);
      mailbox->arrivals.clear();
    }
    for (auto& [id, c] : connections) release(c);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (mailbox->wake_fd >= 0) ::close(mailbox->wake_fd);
  }

  Result<void> open() {
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    mailbox->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd < 0 || mailbox->wake_fd < 0) return fail(ErrorKind::io, fmt::format("cannot start the server: {}", std::strerror(errno)));
    epoll_event wake_event{.events = EPOLLIN, .data = {.u64 = k_wake_key}};
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, mailbox->wake_fd, &wake_event) != 0) {
      return fail(ErrorKind::io, fmt::format("cannot start the server: {}", std::strerror(errno)));
    }
    return {};
  }

  // ---- connections

  void accept_all() {
    while (true) {
      sockaddr_storage addr{};
      socklen_t length = sizeof addr;
      const int fd = ::accept4(server.listen_fd, reinterpret_cast<sockaddr*>(&addr), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting();
        return;  // EAGAIN: all taken
      }
      if (server.open_connections.load(std::memory_order_relaxed) >= options.max_connections) {
        ::close(fd);
        continue;
      }
      const int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      server.open_connections.fetch_add(1, std::memory_order_relaxed);
      // Dealt in turn, so that every loop serves its share of the clients.
      Loop& to = *server.loops[server.next_loop++ % server.loops.size()];
      if (&to == this) {
        serve(fd, address_text(addr));
      } else if (!to.mailbox->adopt({fd, address_text(addr)})) {
        ::close(fd);
        server.open_connections.fetch_sub(1, std::memory_order_relaxed);
      }
    }
  }

  // Out of descriptors (or memory): the listening socket stays ready while connections wait in its
  // backlog, so watching it would wake the loop at once, again and again. It is taken out of the
  // set for accept_pause; the waiting connections stay queued in the kernel until then.
  void pause_accepting() {
    if (!listening) return;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, server.listen_fd, nullptr);
    listening = false;
    accept_paused = true;
    accept_resumes = Clock::now() + options.accept_pause;
  }

  void resume_accepting(Clock::time_point now) {
    if (!accept_paused || now < accept_resumes || server.stopping.load(std::memory_order_relaxed)) return;
    accept_paused = false;
    epoll_event event{.events = EPOLLIN, .data = {.u64 = k_listen_key}};
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, server.listen_fd, &event) == 0) {
      listening = true;
      accept_all();  // those that queued meanwhile
    } else {
      accept_paused = true;
      accept_resumes = now + options.accept_pause;
    }
  }

  void serve(int fd, std::string peer) {
    const std::uint64_t id = next_id++;
    auto [it, inserted] = connections.try_emplace(id, options.limits);
    Connection& c = it->second;
    c.id = id;
    c.fd = fd;
    c.peer = std::move(peer);
    c.last_activity = Clock::now();
    if (server.tls != nullptr) {
      c.ssl = SSL_new(server.tls);
      if (c.ssl == nullptr || SSL_set_fd(c.ssl, fd) != 1) {
        close_connection(c);
        return;
      }
      SSL_set_accept_state(c.ssl);
    }
    c.interest = EPOLLIN;
    epoll_event event{.events = c.interest, .data = {.u64 = id}};
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) close_connection(c);
  }

  void close_connection(Connection& c) {
    if (c.fd >= 0 && c.registered) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    if (c.ssl != nullptr && !c.peer_closed) SSL_shutdown(c.ssl);
    release(c);
    server.open_connections.fetch_sub(1, std::memory_order_relaxed);
    if (c.held > 0) server.held_bytes.fetch_sub(c.held, std::memory_order_relaxed);
    count_unsent(-static_cast<std::ptrdiff_t>(unsent(c)));
    connections.erase(c.id);  // `c` is gone after this
  }

  std::size_t buffered(const Connection& c) const { return c.in.size() - c.in_pos; }
  std::size_t unsent(const Connection& c) const { return c.out.size() - c.out_pos; }
  void count_unsent(std::ptrdiff_t change) {
    const auto now = static_cast<std::ptrdiff_t>(unsent_bytes.load(std::memory_order_relaxed)) + change;
    unsent_bytes.store(static_cast<std::size_t>(now), std::memory_order_relaxed);
  }

  bool wants_input(const Connection& c) const {
    // The parser takes what is read at once, unless a request is with the handler or the
    // connection waits for its turn: then only so far ahead (the next pipelined requests).
    if (c.lingering) return true;
    return !c.peer_closed && !c.close_after && buffered(c) < k_read_ahead && unsent(c) <= options.max_unsent &&
           !(c.waiting && over_budget());
  }

  // The request bytes `c` holds, as counted against max_buffered: input not yet parsed, what the
  // parser holds, and a Content-Length body in full from its head on (it is on its way).
  std::size_t holding(const Connection& c) const {
    const std::uint64_t parsed = std::max<std::uint64_t>(c.parser.buffered_bytes(), c.declared);
    return buffered(c) + static_cast<std::size_t>(std::min<std::uint64_t>(parsed, SIZE_MAX / 2));
  }

  enum class Budget { enforce, count };

  // Brings c.held (and the server's total) up to date. With Budget::enforce, returns false when `c`
  // would take the total beyond max_buffered: then nothing was added, and the caller refuses the
  // request. Budget::count adds what is held whatever the total: input read ahead while a request
  // is with the handler (at most k_read_ahead a connection; over budget, no more is read).
  bool account(Connection& c, Budget budget = Budget::enforce) {
    const std::size_t now_held = holding(c);
    if (now_held <= c.held) {
      server.held_bytes.fetch_sub(c.held - now_held, std::memory_order_relaxed);
      c.held = now_held;
      return true;
    }
    const std::size_t more = now_held - c.held;
    const std::size_t before = server.held_bytes.fetch_add(more, std::memory_order_relaxed);
    // Small requests (webhook deliveries are a few KB) may use a quarter more: clients holding
    // large bodies cannot shut out the small ones by taking the whole budget.
    const std::size_t limit = now_held <= k_small_request ? options.max_buffered + options.max_buffered / 4
                                                           : options.max_buffered;
    if (budget == Budget::enforce && before + more > limit) {
      server.held_bytes.fetch_sub(more, std::memory_order_relaxed);
      return false;
    }
    c.held = now_held;
    return true;
  }

  bool over_budget() const { return server.held_bytes.load(std::memory_order_relaxed) >= options.max_buffered; }

  // Parses `c`'s input in a later round: it has had its share of this one, or waits for its client
  // to take its answers (then write_output() brings it back).
  void defer(Connection& c) {
    if (c.deferred) return;
    c.deferred = true;
    deferred.push_back(c.id);
  }

  bool may_start_request(Connection& c) {
    if (c.round != round) {
      c.round = round;
      c.served = 0;
    }
    return c.served < options.max_requests_per_round && unsent(c) <= options.max_unsent;
  }

  void update_interest(Connection& c) {
    std::uint32_t want = 0;
    if (wants_input(c)) want |= EPOLLIN;
    if (c.out_pos < c.out.size() || c.tls_wants_write) want |= EPOLLOUT;
    if (want == 0) {
      // Out of the set: epoll reports a hang-up whatever the interest, which would wake the loop
      // again and again while the handler has yet to answer a client that has gone.
      if (c.registered) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
      c.registered = false;
      c.interest = 0;
      return;
    }
    if (want == c.interest && c.registered) return;
    c.interest = want;
    epoll_event event{.events = want, .data = {.u64 = c.id}};
    ::epoll_ctl(epoll_fd, c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &event);
    c.registered = true;
  }

  // The last answer is written and the connection is to close: half-close it and drop what the
  // client still sends until it closes too (or k_linger, k_linger_bytes), so that its side of the
  // connection is not reset before it has read the answer.
  void start_lingering(Connection& c) {
    ::shutdown(c.fd, SHUT_WR);
    c.lingering = true;
    c.linger_until = Clock::now() + k_linger;
    c.in.clear();
    c.in_pos = 0;
    std::string().swap(c.in);
    c.parser.reset();
    account(c);
    update_interest(c);
  }

  // Returns false when the connection was closed (always, in the end).
  bool drain(Connection& c) {
    std::array<char, k_read_chunk> buffer;
    for (int reads = 0; reads < 4; ++reads) {
      const ssize_t n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      c.drained += n > 0 ? static_cast<std::uint64_t>(n) : 0;
      if (n <= 0 || c.drained > k_linger_bytes) {
        c.peer_closed = true;
        close_connection(c);
        return false;
      }
    }
    return true;
  }

  // Returns false when the connection was closed.
  bool read_input(Connection& c) {
    if (c.lingering) return drain(c);
    std::array<char, k_read_chunk> buffer;
    // A few reads at a time, to be fair to other connections (level-triggered epoll reports the
    // rest); but all that OpenSSL has already decrypted, which epoll cannot see.
    for (int reads = 0; wants_input(c) && (reads < 4 || (c.ssl != nullptr && SSL_pending(c.ssl) > 0)); ++reads) {
      ssize_t n = 0;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        const int got = SSL_read(c.ssl, buffer.data(), static_cast<int>(buffer.size()));
        if (got <= 0) {
          const int error = SSL_get_error(c.ssl, got);
          if (error == SSL_ERROR_WANT_READ) break;
          if (error == SSL_ERROR_WANT_WRITE) {
            c.tls_wants_write = true;
            break;
          }
          c.peer_closed = true;  // close_notify, a failed handshake, or a broken connection
          break;
        }
        c.tls_wants_write = false;
        n = got;
      } else {
        n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
        if (n == 0) {
          c.peer_closed = true;
          break;
        }
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;  // EWOULDBLOCK is the same on Linux
          c.peer_closed = true;
          break;
        }
      }
      if (c.in_pos > 0 && c.in_pos == c.in.size()) {
        c.in.clear();
        c.in_pos = 0;
      }
      c.in.append(buffer.data(), static_cast<std::size_t>(n));
      account(c, Budget::count);  // process_input() refuses what the parser takes beyond the budget
      c.last_activity = Clock::now();
      // A short read emptied the socket: asking again would only return EAGAIN. (Not so for TLS,
      // where a record may still be half read.)
      if (c.ssl == nullptr && static_cast<std::size_t>(n) < buffer.size()) break;
    }
    return process_input(c);
  }

  // Parses what is buffered and hands a whole request (or a failure) to the handler. Returns false
  // when the connection was closed.
  bool process_input(Connection& c) {
    while (!c.waiting && !c.close_after && c.in_pos < c.in.size()) {
      if (!c.started) {
        if (!may_start_request(c)) {
          defer(c);
          break;
        }
        c.started = true;
        c.started_at = Clock::now();
      }
      c.in_pos += c.parser.feed(std::string_view(c.in).substr(c.in_pos));
      const auto state = c.parser.state();
      if (c.parser.head_complete() && !c.declared_known) {
        c.declared_known = true;
        c.declared = state == RequestParser::State::complete || c.parser.request().body_too_large || c.parser.request().chunked
                         ? 0
                         : declared_length(c.parser.request());
      }
      if (state != RequestParser::State::failed && state != RequestParser::State::complete && !account(c)) {
        refuse_over_budget(c);
        break;
      }
      if (state == RequestParser::State::failed) {
        hand_over(c, c.parser.error_status(), c.parser.error_message());
      } else if (state == RequestParser::State::complete) {
        hand_over(c, 0, {});
      } else if (c.parser.head_complete() && c.parser.request().expects_continue && !c.continue_sent) {
        c.continue_sent = true;
        constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
        c.out += k_continue;
        count_unsent(static_cast<std::ptrdiff_t>(k_continue.size()));
        if (!write_output(c)) return false;
      }
    }
    if (c.in_pos == c.in.size()) {
      c.in.clear();
      c.in_pos = 0;
      if (c.in.capacity() > k_kept_capacity) std::string().swap(c.in);
    } else if (c.in_pos > k_read_ahead) {
      c.in.erase(0, c.in_pos);
      c.in_pos = 0;
    }
    account(c);  // only ever gives back here
    if (c.peer_closed && !c.waiting) {
      if (c.started && !c.close_after) {
        // Part of a request, and then nothing more will come: record it; the answer is dropped.
        hand_over(c, 400, "the connection closed before the request was complete");
      } else if (c.out_pos == c.out.size()) {
        close_connection(c);
        return false;
      }
    }
    update_interest(c);
    return true;
  }

  // Refuses the request being read: it would take the bytes held beyond max_buffered.
  void refuse_over_budget(Connection& c) {
    if (!c.started) {
      c.started = true;
      c.started_at = Clock::now();
    }
    hand_over(c, 503,
              fmt::format("the server holds {} bytes of requests, its limit; retry later",
                          options.max_buffered));
  }

  static std::uint64_t declared_length(const ParsedRequest& request) {
    const auto value = request.header("Content-Length");
    if (!value) return 0;
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    return ec == std::errc() && ptr == value->data() + value->size() ? n : 0;
  }

  void hand_over(Connection& c, int error_status, std::string error_message) {
    c.waiting = true;
    c.started = false;
    c.declared_known = false;
    c.declared = 0;
    ++c.served;
    ServerRequest request;
    request.body_bytes_seen = c.parser.body_bytes_seen();
    request.request = std::move(c.parser.request());
    request.peer = c.peer;
    request.error_status = error_status;
    request.error_message = std::move(error_message);
    request.started = c.started_at;
    if (error_status != 0) c.close_after = true;  // the input cannot be trusted to be in step
    c.keep_alive = request.request.keep_alive;
    c.http10 = request.request.minor_version == 0;
    c.head = request.request.method == "HEAD";
    request.loop = index;
    ++handed;
    server.handler(std::move(request), Responder(mailbox, c.id, ++c.request));
  }

  // Writes what is pending; returns false when the connection was closed.
  bool write_output(Connection& c) {
    while (c.out_pos < c.out.size()) {
      const char* data = c.out.data() + c.out_pos;
      const std::size_t size = c.out.size() - c.out_pos;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        const int sent = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
        if (sent <= 0) {
          const int error = SSL_get_error(c.ssl, sent);
          if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) break;
          c.peer_closed = true;
          close_connection(c);
          return false;
        }
        c.out_pos += static_cast<std::size_t>(sent);
        count_unsent(-static_cast<std::ptrdiff_t>(sent));
      } else {
        const ssize_t sent = ::send(c.fd, data, size, MSG_NOSIGNAL);
        if (sent < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;  // EWOULDBLOCK is the same on Linux
          c.peer_closed = true;
          close_connection(c);
          return false;
        }
        c.out_pos += static_cast<std::size_t>(sent);
        count_unsent(-static_cast<std::ptrdiff_t>(sent));
      }
      c.last_activity = Clock::now();
    }
    if (c.out_pos == c.out.size()) {
      c.out.clear();
      c.out_pos = 0;
      if (c.out.capacity() > k_kept_capacity) std::string().swap(c.out);
      if ((c.close_after || (c.peer_closed && !c.started)) && !c.waiting) {
        if (c.peer_closed || c.ssl != nullptr || c.lingering) {
          close_connection(c);
        } else {
          start_lingering(c);
        }
        return false;
      }
    }
    // Its client took enough of its answers: its next requests may be parsed again.
    if (!c.waiting && c.in_pos < c.in.size() && unsent(c) <= options.max_unsent) defer(c);
    update_interest(c);
    return true;
  }

  void answer(Connection& c, ServerAnswer&& a) {
    c.waiting = false;
    const bool keep = !a.close && !c.close_after && !c.peer_closed && c.keep_alive &&
                      !server.stopping.load(std::memory_order_relaxed);
    const bool http10 = c.http10;
    c.close_after = !keep;
    std::string& out = c.out;
    const std::size_t queued_before = out.size();
    out += fmt::format("HTTP/1.1 {} {}\r\n", a.status, reason_phrase(a.status));
    if (!a.body.empty() || !a.content_type.empty()) out += fmt::format("Content-Type: {}\r\n", a.content_type);
    out += fmt::format("Content-Length: {}\r\n", a.body.size());
    for (const auto& [name, value] : a.headers) out += fmt::format("{}: {}\r\n", name, value);
    if (!keep) {
      out += "Connection: close\r\n";
    } else if (http10) {
      out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (!c.head) out += a.body;  // a HEAD answer says the length of the body it leaves out
    count_unsent(static_cast<std::ptrdiff_t>(out.size() - queued_before));
    c.parser.reset();
    c.continue_sent = false;
    if (!write_output(c)) return;
    if (!process_input(c)) return;  // a pipelined request may be waiting
    if (c.ssl != nullptr && SSL_pending(c.ssl) > 0) read_input(c);
  }

  void deliver_letters() {
    letters.clear();
    arrivals.clear();
    {
      std::lock_guard lock(mailbox->mutex);
      letters.swap(mailbox->letters);
      arrivals.swap(mailbox->arrivals);
    }
    for (auto& arrival : arrivals) serve(arrival.fd, std::move(arrival.peer));
    for (auto& letter : letters) {
      const auto it = connections.find(letter.connection);
      if (it == connections.end()) continue;  // the client has gone
      Connection& c = it->second;
      if (!c.waiting || c.request != letter.request) continue;  // answered already
      answer(c, std::move(letter.answer));
    }
  }

  void check_timeouts(Clock::time_point now) {
    std::vector<std::uint64_t> expired, late;
    for (auto& [id, c] : connections) {
      if (c.waiting) continue;
      if (c.lingering) {
        if (now >= c.linger_until || server.stopping.load(std::memory_order_relaxed)) expired.push_back(id);
        continue;
      }
      if (c.started && now - c.started_at > options.request_timeout) {
        late.push_back(id);
      } else if (!c.started && now - c.last_activity > options.idle_timeout) {
        expired.push_back(id);
      } else if (server.stopping.load(std::memory_order_relaxed) && !c.started && c.out_pos == c.out.size()) {
        expired.push_back(id);  // idle while stopping
      }
    }
    for (const auto id : expired) {
      if (auto it = connections.find(id); it != connections.end()) close_connection(it->second);
    }
    for (const auto id : late) {
      auto it = connections.find(id);
      if (it == connections.end()) continue;
      if (it->second.out_pos < it->second.out.size()) {
        close_connection(it->second);  // the client does not read its answer
        continue;
      }
      hand_over(it->second, 408,
                fmt::format("the request did not arrive whole within {} ms", options.request_timeout.count()));
      update_interest(it->second);
    }
  }

  // The round's requests (timed-out ones included) are with the handler: its batch work, then
  // the answers owed, from this round or from other threads.
  void finish_round() {
    if (options.on_round_end) options.on_round_end(index);
    while (true) {
      // An answer lets its connection's next (pipelined) request through, which is owed its
      // batch work in this round too.
      const auto handed_before = handed;
      deliver_letters();
      if (!options.on_round_end || handed == handed_before) break;
      options.on_round_end(index);
    }
  }

  // The connections deferred in the last round parse their input now (in the order they were
  // deferred), before the network events of this one.
  void resume_deferred() {
    if (deferred.empty()) return;
    std::vector<std::uint64_t> due;
    due.swap(deferred);
    for (const auto id : due) {
      const auto it = connections.find(id);
      if (it == connections.end()) continue;
      it->second.deferred = false;
      process_input(it->second);
    }
  }

  void run() {
    mailbox->loop_thread.store(std::this_thread::get_id());
    std::array<epoll_event, 256> events;
    auto next_tick = Clock::now() + k_tick;
    Clock::time_point stop_deadline{};
    bool stopped = false;
    while (true) {
      ++round;
      // Deferred input is parsed without waiting: the connection's bytes are here already.
      const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                                 deferred.empty() ? static_cast<int>(k_tick.count()) : 0);
      resume_deferred();
      for (int i = 0; i < n; ++i) {
        const auto key = events[static_cast<std::size_t>(i)].data.u64;
        const auto flags = events[static_cast<std::size_t>(i)].events;
        if (key == k_listen_key) {
          if (listening) accept_all();
          continue;
        }
        if (key == k_wake_key) {
          std::uint64_t count = 0;
          [[maybe_unused]] const auto got = ::read(mailbox->wake_fd, &count, sizeof count);
          continue;
        }
        const auto it = connections.find(key);
        if (it == connections.end()) continue;
        Connection& c = it->second;
        const bool read_again = c.tls_wants_write;  // an SSL_read that needed to write first
        c.tls_wants_write = false;
        if ((flags & EPOLLOUT) != 0 && !write_output(c)) continue;
        if ((flags & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 || read_again) read_input(c);
      }
      const auto now = Clock::now();
      if (accept_paused) resume_accepting(now);
      if (!stopped && server.stopping.load(std::memory_order_relaxed)) {
        stopped = true;
        accept_paused = false;
        if (listening) {
          listening = false;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, server.listen_fd, nullptr);
        }
        stop_deadline = now + options.stop_grace;
        check_timeouts(now);
      }
      if (now >= next_tick) {
        check_timeouts(now);
        next_tick = now + k_tick;
      }
      finish_round();
      if (stopped && (connections.empty() || now >= stop_deadline)) break;
    }
    while (!connections.empty()) close_connection(connections.begin()->second);
  }
};

}  // namespace

Result<void> HttpServer::Impl::open_tls() {
  tls = SSL_CTX_new(TLS_server_method());
  if (tls == nullptr) return fail(ErrorKind::internal, "cannot create a TLS context: " + openssl_error());
  SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
  SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(tls, options.cert_file.c_str()) != 1) {
    return fail(ErrorKind::usage, fmt::format("cannot use {} as a TLS certificate: {}", options.cert_file, openssl_error()));
  }
  if (SSL_CTX_use_PrivateKey_file(tls, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const unsigned long code = ERR_peek_last_error();
    if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return fail(ErrorKind::usage, fmt::format("the key in {} does not match the certificate in {}",
                                                options.key_file, options.cert_file));
    }
    return fail(ErrorKind::usage, fmt::format("cannot use {} as a TLS key: {}", options.key_file, openssl_error()));
  }
  if (SSL_CTX_check_private_key(tls) != 1) {
    return fail(ErrorKind::usage, fmt::format("the key in {} does not match the certificate in {}", options.key_file,
                                              options.cert_file));
  }
  return {};
}

Result<void> HttpServer::Impl::open_socket() {
  auto socket = listen_on(options.host, options.port);
  if (!socket) return std::unexpected(socket.error());
  listen_fd = socket->fd;
  port = socket->port;
  return {};
}

HttpServer::Impl::~Impl() {
  loops.clear();  // before the TLS context their connections use
  if (listen_fd >= 0) ::close(listen_fd);
  if (tls != nullptr) SSL_CTX_free(tls);
}

void HttpServer::Impl::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops.size(); ++i) {
    threads.emplace_back([this, i] {
      pthread_setname_np(pthread_self(), fmt::format("ctg-loop-{}", i).c_str());
      loops[i]->run();
    });
  }
  loops[0]->run();
  for (auto& thread : threads) thread.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(ServerOptions options, ServerHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  const bool with_tls = !impl->options.cert_file.empty() || !impl->options.key_file.empty();
  if (with_tls) {
    if (impl->options.cert_file.empty() || impl->options.key_file.empty()) {
      return fail(ErrorKind::usage, "TLS needs both a certificate and a key");
    }
    if (auto opened = impl->open_tls(); !opened) return std::unexpected(opened.error());
  }
  // Connections beyond what the descriptor limit leaves would only meet EMFILE in accept().
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const std::size_t usable = limit.rlim_cur;
    const std::size_t ceiling = usable > 2 * k_reserved_descriptors ? usable - k_reserved_descriptors : usable / 2;
    impl->options.max_connections = std::min(impl->options.max_connections, std::max<std::size_t>(ceiling, 1));
  }
  const std::size_t loops = std::max<std::size_t>(impl->options.loops, 1);
  for (std::size_t i = 0; i < loops; ++i) {
    impl->loops.push_back(std::make_unique<Loop>(*impl, i));
    if (auto opened = impl->loops.back()->open(); !opened) return std::unexpected(opened.error());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Result<void> HttpServer::bind() {
  if (auto opened = m_impl->open_socket(); !opened) return opened;
  epoll_event event{.events = EPOLLIN, .data = {.u64 = k_listen_key}};
  if (::epoll_ctl(m_impl->loops[0]->epoll_fd, EPOLL_CTL_ADD, m_impl->listen_fd, &event) != 0) {
    return fail(ErrorKind::io, fmt::format("cannot start the server: {}", std::strerror(errno)));
  }
  m_impl->loops[0]->listening = true;
  return {};
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return m_impl->port; }

bool HttpServer::tls() const { return m_impl->tls != nullptr; }

ServerStats HttpServer::stats() const {
  ServerStats stats{.connections = m_impl->open_connections.load(std::memory_order_relaxed),
                    .held_bytes = m_impl->held_bytes.load(std::memory_order_relaxed)};
  for (const auto& loop : m_impl->loops) stats.unsent_bytes += loop->unsent_bytes.load(std::memory_order_relaxed);
  return stats;
}

void HttpServer::run() { m_impl->run(); }

void HttpServer::stop() {
  m_impl->stopping.store(true);
  for (const auto& loop : m_impl->loops) loop->mailbox->wake_loop();
}

}  // namespace ctg::net
