#include "check_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/tls/certificate.hpp"

namespace ctg::test {

// ---- certificates -----------------------------------------------------------------------------------

namespace {

constexpr std::int64_t k_day = 24 * 60 * 60;

tls::KeyPair new_key(tls::KeyType type = tls::KeyType::ec_p256) {
  auto key = tls::generate_key(type);
  REQUIRE(key.has_value());
  return *key;
}

tls::Issued required(Result<tls::Issued> issued) {
  INFO((issued ? "" : issued.error().message));
  REQUIRE(issued.has_value());
  return *issued;
}

// The PKI and the folder its files live in, which goes when the process ends.
struct PkiOnDisk {
  TempDir dir;
  CheckPki pki;

  PkiOnDisk() {
    const std::int64_t now = unix_now();
    // SANs localhost and 127.0.0.1, valid from `from` to `to` days from now.
    const auto local = [now](std::int64_t from, std::int64_t to) {
      return tls::CertificateSpec{.dns_names = {"localhost"},
                                  .ip_addresses = {"127.0.0.1"},
                                  .not_before = now + from * k_day,
                                  .not_after = now + to * k_day};
    };
    const auto root = required(tls::self_signed({.common_name = "ctg check test root",
                                                 .not_before = now - 400 * k_day,
                                                 .not_after = now + 3650 * k_day,
                                                 .is_ca = true},
                                                new_key()));
    const auto intermediate = required(tls::issue({.common_name = "ctg check test intermediate",
                                                   .not_before = now - 400 * k_day,
                                                   .not_after = now + 1825 * k_day,
                                                   .is_ca = true},
                                                  new_key(), root));
    pki.root_ca_file = dir.write("root.pem", root.certificate_pem);

    const auto leaf = [&](const tls::CertificateSpec& spec, tls::KeyType key_type = tls::KeyType::ec_p256) {
      return required(tls::issue(spec, new_key(key_type), intermediate));
    };
    const auto with_chain = [&](const std::string& name, const tls::Issued& issued) {
      return write(name, issued.certificate_pem + intermediate.certificate_pem, issued.private_key_pem);
    };
    const auto valid = leaf(local(-1, 90));
    pki.valid = with_chain("valid", valid);
    pki.missing_intermediate = write("leaf-only", valid.certificate_pem, valid.private_key_pem);
    pki.expired = with_chain("expired", leaf(local(-100, -10)));
    pki.not_yet_valid = with_chain("not-yet-valid", leaf(local(10, 100)));
    pki.expiring_soon = with_chain("expiring-soon", leaf(local(-70, 20)));
    auto other_host = local(-1, 90);
    other_host.dns_names = {"other.example"};
    other_host.ip_addresses.clear();
    pki.wrong_host = with_chain("wrong-host", leaf(other_host));
    pki.rsa_1024 = with_chain("rsa-1024", leaf(local(-1, 90), tls::KeyType::rsa_1024));
    auto sha1 = local(-1, 90);
    sha1.digest = tls::Digest::sha1;
    pki.sha1_signed = with_chain("sha1-signed", leaf(sha1));
    const auto self = required(tls::self_signed(local(-1, 90), new_key()));
    pki.self_signed = write("self-signed", self.certificate_pem, self.private_key_pem);
  }

  ServerCertificate write(const std::string& name, const std::string& chain_pem, const std::string& key_pem) const {
    return {dir.write(name + ".pem", chain_pem), dir.write(name + "-key.pem", key_pem)};
  }
};

}  // namespace

const CheckPki& check_pki() {
  static const PkiOnDisk instance;
  return instance.pki;
}

TlsServerOptions legacy_options(ServerCertificate certificate) {
  return {.certificate = std::move(certificate),
          .min_version = TlsVersion::tls1_0,
          .max_version = TlsVersion::tls1_3,
          .ciphers = "DEFAULT:@SECLEVEL=0",
          .security_level = 0};
}

// ---- a TLS server -----------------------------------------------------------------------------------

namespace {

constexpr std::size_t k_max_request = 1 << 20;

int openssl_version(TlsVersion version) {
  switch (version) {
    case TlsVersion::tls1_0:
      return TLS1_VERSION;
    case TlsVersion::tls1_1:
      return TLS1_1_VERSION;
    case TlsVersion::tls1_2:
      return TLS1_2_VERSION;
    case TlsVersion::tls1_3:
      return TLS1_3_VERSION;
  }
  return 0;
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    out += std::string(out.empty() ? "" : "; ") + text;
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The request in `head` (request line and header lines, without the blank line).
ReceivedRequest parse_head(std::string_view head) {
  ReceivedRequest request;
  const auto line_end = head.find("\r\n");
  const auto request_line = head.substr(0, line_end);
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  request.method = std::string(request_line.substr(0, first_space));
  if (first_space != last_space)
    request.target = std::string(request_line.substr(first_space + 1, last_space - first_space - 1));
  for (auto start = line_end; start != std::string_view::npos;) {
    start += 2;
    const auto end = head.find("\r\n", start);
    const auto line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (const auto colon = line.find(':'); colon != std::string_view::npos)
      request.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    start = end;
  }
  return request;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

std::string answer_bytes(const HttpReply& reply) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n",
      reply.status, reason_phrase(reply.status), reply.body.size());
  for (const auto& [name, value] : reply.headers) out += fmt::format("{}: {}\r\n", name, value);
  return out + "\r\n" + reply.body;
}

// Reads one request from `ssl`: the head, then as many body bytes as Content-Length says. Nothing
// when the client closes first (a protocol probe) or sends more than k_max_request.
std::optional<ReceivedRequest> read_request(SSL* ssl) {
  std::string data;
  char buffer[16384];
  std::optional<ReceivedRequest> request;
  std::size_t body_start = 0;
  std::size_t length = 0;
  while (data.size() <= k_max_request) {
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) return std::nullopt;
    data.append(buffer, static_cast<std::size_t>(n));
    if (!request) {
      const auto head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      request = parse_head(std::string_view(data).substr(0, head_end));
      body_start = head_end + 4;
      if (const auto value = request->header("Content-Length"))
        std::from_chars(value->data(), value->data() + value->size(), length);
    }
    if (data.size() >= body_start + length) {
      request->body = data.substr(body_start, length);
      return request;
    }
  }
  return std::nullopt;
}

}  // namespace

struct TlsServer::Impl {
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  TlsServerOptions options;
  SSL_CTX* context = nullptr;
  int listen_fd = -1;
  int wake_pipe[2] = {-1, -1};  // written by the destructor to stop the accept loop
  int port = 0;
  std::atomic<int> connections{0};
  std::atomic<int> handshakes{0};

  mutable std::mutex mutex;  // guards everything below
  std::vector<ReceivedRequest> requests;
  std::set<int> open_fds;
  std::list<Worker> workers;  // a list: a worker's node must not move while its thread runs
  bool stopping = false;
  std::condition_variable stopped;
  std::thread acceptor;

  explicit Impl(TlsServerOptions given) : options(std::move(given)) {
    // A client that leaves while an answer is being written must not kill the test with SIGPIPE.
    static const bool ignore_sigpipe = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    REQUIRE(ignore_sigpipe);
    make_context();
    listen_on_loopback();
    REQUIRE(::pipe2(wake_pipe, O_CLOEXEC) == 0);
    acceptor = std::thread([this] { accept_loop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    [[maybe_unused]] const auto woken = ::write(wake_pipe[1], "x", 1);  // a fresh pipe has room
    acceptor.join();
    std::list<Worker> remaining;
    {
      std::lock_guard lock(mutex);
      // Wakes workers blocked in a handshake or a read; their threads then close the sockets.
      for (const int fd : open_fds) ::shutdown(fd, SHUT_RDWR);
      remaining.swap(workers);
    }
    stopped.notify_all();
    for (auto& worker : remaining) worker.thread.join();
    ::close(wake_pipe[0]);
    ::close(wake_pipe[1]);
    ::close(listen_fd);
    SSL_CTX_free(context);
  }

  // Security level first: loading a weak certificate is checked against it.
  void make_context() {
    context = SSL_CTX_new(TLS_server_method());
    REQUIRE(context != nullptr);
    SSL_CTX_set_min_proto_version(context, openssl_version(options.min_version));
    SSL_CTX_set_max_proto_version(context, openssl_version(options.max_version));
    if (!options.ciphers.empty()) REQUIRE(SSL_CTX_set_cipher_list(context, options.ciphers.c_str()) == 1);
    SSL_CTX_set_security_level(context, options.security_level);
    const bool loaded =
        SSL_CTX_use_certificate_chain_file(context, options.certificate.chain_file.c_str()) == 1 &&
        SSL_CTX_use_PrivateKey_file(context, options.certificate.key_file.c_str(), SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_check_private_key(context) == 1;
    const std::string errors = loaded ? "" : openssl_errors();
    INFO(options.certificate.chain_file, ": ", errors);
    REQUIRE(loaded);
  }

  void listen_on_loopback() {
    listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd, 64) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }

  void accept_loop() {
    while (true) {
      pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || fds[1].revents != 0) return;
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections;
      std::lock_guard lock(mutex);
      std::erase_if(workers, [](Worker& worker) {
        if (!worker.done) return false;
        worker.thread.join();
        return true;
      });
      open_fds.insert(fd);
      auto& worker = workers.emplace_back();
      worker.thread = std::thread([this, fd, &worker] {
        serve(fd);
        worker.done = true;
      });
    }
  }

  void serve(int fd) {
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      ++handshakes;
      if (auto request = read_request(ssl)) answer(ssl, std::move(*request));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();  // failed handshakes leave errors in this thread's queue
    {
      std::lock_guard lock(mutex);
      open_fds.erase(fd);
    }
    ::close(fd);
  }

  void answer(SSL* ssl, ReceivedRequest request) {
    const HttpReply reply = options.reply(request);
    {
      std::unique_lock lock(mutex);
      requests.push_back(std::move(request));
      // The deliberate slow answer; the destructor cuts it short.
      if (stopped.wait_for(lock, reply.delay, [this] { return stopping; })) return;
    }
    const std::string bytes = answer_bytes(reply);
    SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()));
  }
};

TlsServer::TlsServer(TlsServerOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

TlsServer::~TlsServer() = default;

int TlsServer::port() const {
  return m_impl->port;
}

std::string TlsServer::url(std::string_view path) const {
  return fmt::format("https://127.0.0.1:{}{}", m_impl->port, path);
}

std::vector<ReceivedRequest> TlsServer::requests() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->requests;
}

int TlsServer::connections() const {
  return m_impl->connections;
}

int TlsServer::handshakes() const {
  return m_impl->handshakes;
}

}  // namespace ctg::test
