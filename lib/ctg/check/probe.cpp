#include "ctg/check/probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "ctg/core/text.hpp"
#include "ctg/net/response_reader.hpp"

namespace ctg::check {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t k_body_kept = 4096;

Micros since(Clock::time_point start) {
  return std::chrono::duration_cast<Micros>(Clock::now() - start);
}

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : m_fd(fd) {}
  Socket(Socket&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    std::swap(m_fd, other.m_fd);
    return *this;
  }
  ~Socket() {
    if (m_fd >= 0) ::close(m_fd);
  }
  int fd() const { return m_fd; }

 private:
  int m_fd = -1;
};

std::string errno_text(int error) {
  switch (error) {
    case ECONNREFUSED: return "connection refused";
    case ENETUNREACH: return "network is unreachable";
    case EHOSTUNREACH: return "host is unreachable";
    case ETIMEDOUT: return "timed out";
    default: return std::strerror(error);
  }
}

// A non-blocking connect that waits at most `timeout`; the socket is left blocking, with `timeout`
// as its send and receive timeouts.
std::expected<Socket, std::pair<std::string, bool>> connect_one(const Address& address, std::chrono::milliseconds timeout) {
  Socket socket(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) return std::unexpected(std::pair{errno_text(errno), false});
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    if (errno != EINPROGRESS) return std::unexpected(std::pair{errno_text(errno), false});
    pollfd p{.fd = socket.fd(), .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready == 0) return std::unexpected(std::pair{fmt::format("timed out after {} ms connecting", timeout.count()), true});
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (ready < 0 || error != 0) return std::unexpected(std::pair{errno_text(ready < 0 ? errno : error), false});
  }
  const int flags = ::fcntl(socket.fd(), F_GETFL);
  ::fcntl(socket.fd(), F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{.tv_sec = timeout.count() / 1000, .tv_usec = (timeout.count() % 1000) * 1000};
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int yes = 1;
  ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  return socket;
}

// OpenSSL's reason for the last failure, without its error codes and file names.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  if (code == 0) return {};
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", code);
}

// Whether the last failure is this side's: nothing it could offer for what was asked.
bool failed_locally() {
  const unsigned long code = ERR_peek_last_error();
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return false;
  const int reason = ERR_GET_REASON(code);
  return reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_NO_CIPHERS_AVAILABLE ||
         reason == SSL_R_NO_CIPHER_MATCH;
}

std::string to_pem(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool is_forward_secret(const SSL_CIPHER* cipher) {
  switch (SSL_CIPHER_get_kx_nid(cipher)) {
    case NID_kx_ecdhe:
    case NID_kx_dhe:
    case NID_kx_ecdhe_psk:
    case NID_kx_dhe_psk:
    case NID_kx_any:  // TLS 1.3: always (EC)DHE
      return true;
    default:
      return false;
  }
}

void record_session(SSL* ssl, ProbeResult& result) {
  result.version = SSL_version(ssl);
  result.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    result.cipher = SSL_CIPHER_get_name(cipher);
    result.cipher_bits = SSL_CIPHER_get_bits(cipher, nullptr);
    result.aead = SSL_CIPHER_is_aead(cipher) == 1;
    result.forward_secret = is_forward_secret(cipher);
  }
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) result.chain_pem.push_back(to_pem(sk_X509_value(chain, i)));
  }
  const unsigned char* staple = nullptr;
  const long staple_length = SSL_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP, 0, static_cast<void*>(&staple));
  result.ocsp_stapled = staple_length > 0 && staple != nullptr;
}

// The head's header lines, after the status line.
std::vector<std::pair<std::string, std::string>> parse_headers(std::string_view head) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end == std::string_view::npos ? head.npos : end - start);
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
      headers.emplace_back(text::trim(line.substr(0, colon)), text::trim(line.substr(colon + 1)));
    }
    at = end;
  }
  return headers;
}

// Sends `request` and reads one answer.
void exchange(SSL* ssl, const std::string& request, std::chrono::milliseconds timeout, ProbeResult& result) {
  ERR_clear_error();
  errno = 0;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const int n = SSL_write(ssl, request.data() + sent, static_cast<int>(request.size() - sent));
    if (n <= 0) {
      result.timed_out = errno == EAGAIN;  // SO_SNDTIMEO ran out
      result.error = result.timed_out ? fmt::format("timed out after {} ms sending the request", timeout.count())
                                      : "the connection closed while the request was sent";
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
  const auto sent_at = Clock::now();
  std::string in;
  net::ResponseReader reader;
  std::array<char, 16 * 1024> buffer;
  Answer answer;
  while (true) {
    errno = 0;
    const int n = SSL_read(ssl, buffer.data(), static_cast<int>(buffer.size()));
    const bool eof = n <= 0;
    if (!eof) {
      if (in.empty()) answer.first_byte = since(sent_at);
      in.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN && errno == EAGAIN) {
      result.timed_out = true;
      result.error = fmt::format("timed out after {} ms waiting for the answer", timeout.count());
      return;
    }
    std::size_t consumed = 0;
    const auto state = reader.read(in, eof, consumed);
    if (state == net::ResponseReader::State::malformed) {
      result.error = in.empty() ? "the connection closed without an HTTP answer" : "the answer is not HTTP/1.x";
      return;
    }
    if (state == net::ResponseReader::State::complete) {
      const std::string_view whole(in.data(), consumed);
      // The final answer's head: interim 1xx answers come before it.
      std::size_t head_start = 0;
      std::size_t head_end = whole.find("\r\n\r\n");
      while (head_end != std::string_view::npos && whole.substr(head_start, 10).starts_with("HTTP/1.1 1")) {
        head_start = head_end + 4;
        head_end = whole.find("\r\n\r\n", head_start);
      }
      if (head_end == std::string_view::npos) head_end = whole.size();
      answer.status = reader.status();
      answer.headers = parse_headers(whole.substr(head_start, head_end - head_start));
      const std::string_view body = head_end + 4 <= whole.size() ? whole.substr(head_end + 4) : std::string_view();
      answer.body = std::string(body.substr(0, k_body_kept));
      result.answer = std::move(answer);
      result.reached = ProbeResult::Stage::done;
      return;
    }
    if (eof) {
      result.error = "the connection closed before a complete HTTP answer arrived";
      return;
    }
    if (in.size() > 1024 * 1024) {
      result.error = "the answer is larger than 1 MiB";
      return;
    }
  }
}

}  // namespace

std::optional<std::string> Answer::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    const bool same = key.size() == name.size() &&
                      std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                      });
    if (same) return value;
  }
  return std::nullopt;
}

Result<Resolved> resolve(const std::string& host, std::uint16_t port) {
  const auto start = Clock::now();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const auto service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) return fail(ErrorKind::network, fmt::format("could not resolve {}: {}", host, ::gai_strerror(rc)));
  Resolved resolved;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Address address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* raw = a->ai_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr)
                                                : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr);
    ::inet_ntop(a->ai_family, raw, text.data(), text.size());
    address.text = text.data();
    resolved.addresses.push_back(std::move(address));
  }
  ::freeaddrinfo(found);
  resolved.took = since(start);
  if (resolved.addresses.empty()) return fail(ErrorKind::network, fmt::format("could not resolve {}: no address", host));
  return resolved;
}

ProbeResult probe(const std::vector<Address>& addresses, const TlsParams& params,
                  std::chrono::milliseconds timeout, const std::string* request) {
  ProbeResult result;
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, SslCtxFree> context(SSL_CTX_new(TLS_client_method()));
  if (!context) {
    result.error = "cannot create a TLS context: " + openssl_reason();
    result.local_unsupported = true;
    return result;
  }
  // Probes must be able to offer what a server should no longer accept.
  SSL_CTX_set_security_level(context.get(), 0);
  SSL_CTX_set_options(context.get(), SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
  const std::string ciphers = params.cipher_list.empty() ? "ALL:COMPLEMENTOFALL:@SECLEVEL=0" : params.cipher_list;
  const bool versions_set = SSL_CTX_set_min_proto_version(context.get(), params.min_version) == 1 &&
                            SSL_CTX_set_max_proto_version(context.get(), params.max_version) == 1;
  if (!versions_set || SSL_CTX_set_cipher_list(context.get(), ciphers.c_str()) != 1) {
    result.error = "this machine's OpenSSL cannot offer it";
    result.local_unsupported = true;
    ERR_clear_error();
    return result;
  }

  const auto connect_start = Clock::now();
  std::optional<Socket> socket;
  for (const auto& address : addresses) {
    auto connected = connect_one(address, timeout);
    if (connected) {
      socket = std::move(*connected);
      result.address = address.text;
      break;
    }
    result.error = connected.error().first;
    result.timed_out = connected.error().second;
  }
  result.connect_time = since(connect_start);
  if (!socket) return result;
  result.error.clear();
  result.timed_out = false;

  result.reached = ProbeResult::Stage::handshake;
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(context.get()));
  if (!ssl || SSL_set_fd(ssl.get(), socket->fd()) != 1) {
    result.error = "cannot start TLS: " + openssl_reason();
    return result;
  }
  // SSL_set_tlsext_host_name() and SSL_set_tlsext_status_type() are macros with C casts.
  if (!params.server_name.empty()) {
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(params.server_name.c_str()));
  }
  if (params.ocsp) SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE, TLSEXT_STATUSTYPE_ocsp, nullptr);
  const auto tls_start = Clock::now();
  errno = 0;
  const int rc = SSL_connect(ssl.get());
  result.tls_time = since(tls_start);
  if (rc != 1) {
    const int error = SSL_get_error(ssl.get(), rc);
    if (failed_locally()) {
      result.local_unsupported = true;
      result.error = "this machine's OpenSSL cannot offer it";
    } else if (error == SSL_ERROR_SYSCALL && errno == EAGAIN) {
      result.timed_out = true;
      result.error = fmt::format("timed out after {} ms in the TLS handshake", timeout.count());
    } else if (const auto reason = openssl_reason(); !reason.empty()) {
      result.error = reason;
    } else {
      result.error = "the server closed the connection during the handshake";
    }
    ERR_clear_error();
    return result;
  }
  record_session(ssl.get(), result);
  result.reached = ProbeResult::Stage::request;
  if (request == nullptr) {
    result.reached = ProbeResult::Stage::done;
    SSL_shutdown(ssl.get());
    return result;
  }
  exchange(ssl.get(), *request, timeout, result);
  ERR_clear_error();
  return result;
}

std::string version_name(int version) {
  switch (version) {
    case TLS1_3_VERSION: return "TLSv1.3";
    case TLS1_2_VERSION: return "TLSv1.2";
    case TLS1_1_VERSION: return "TLSv1.1";
    case TLS1_VERSION: return "TLSv1";
    case SSL3_VERSION: return "SSLv3";
    default: return fmt::format("version {:#x}", version);
  }
}

}  // namespace ctg::check
