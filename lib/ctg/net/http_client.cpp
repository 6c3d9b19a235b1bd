#include "ctg/net/http_client.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "ctg/net/request_capture.hpp"
#include "ctg/tls/certificate.hpp"

namespace ctg::net {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::size_t k_names_listed = 6;  // SAN entries named in a host-mismatch message

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// What the last TLS handshake's certificate verification saw. OpenSSL's verify callback fills it,
// so that a failure can be described with the certificate's own names and dates.
struct HandshakeRecord {
  X509Ptr leaf;               // the server's certificate
  int error = X509_V_OK;      // the first verification error
  int error_depth = 0;        // 0 for the leaf, 1 for its issuer, ...
  X509Ptr error_certificate;  // the certificate the first error is about

  void reset() { *this = HandshakeRecord{}; }
};

X509Ptr share(X509* cert) {
  if (cert == nullptr || X509_up_ref(cert) != 1) return nullptr;
  return X509Ptr(cert);
}

int record_index() {
  static const int index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's verify callback, set on the client's SSL_CTX. It never changes the outcome.
int record_verification(int ok, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return ok;
  auto* record = static_cast<HandshakeRecord*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), record_index()));
  if (record == nullptr) return ok;
  if (!record->leaf) record->leaf = share(X509_STORE_CTX_get0_cert(store));
  if (ok == 0 && record->error == X509_V_OK) {
    record->error = X509_STORE_CTX_get_error(store);
    record->error_depth = X509_STORE_CTX_get_error_depth(store);
    record->error_certificate = share(X509_STORE_CTX_get_current_cert(store));
  }
  return ok;
}


std::string lower_errno(int err) {
  std::string text = std::strerror(err);
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string day_of(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Failure make_failure(FailureKind kind, std::string message) {
  return Failure{.kind = kind, .message = std::move(message)};
}

// ---- connection errors --------------------------------------------------------------------------

// 0 when a TCP connection to `address` succeeds within `timeout`, else the errno it failed with.
int probe_connect(const addrinfo& address, milliseconds timeout) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol);
  if (fd < 0) return errno;
  int err = 0;
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd waiting{.fd = fd, .events = POLLOUT, .revents = 0};
      const int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
      if (ready == 0) {
        err = ETIMEDOUT;
      } else if (ready < 0) {
        err = errno;
      } else {
        socklen_t length = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length);
      }
    }
  }
  ::close(fd);
  return err;
}

// httplib reports a failed name lookup and a refused connection alike; this finds out which by
// resolving the host and trying a connection once more, for the words alone.
Failure diagnose_connect(const Url& url, milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int resolved = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found);
  if (resolved != 0) {
    return make_failure(FailureKind::dns, resolved == EAI_AGAIN
                                              ? fmt::format("could not resolve {} (temporary DNS failure)", url.host)
                                              : fmt::format("could not resolve {}", url.host));
  }
  int err = 0;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    err = probe_connect(*address, timeout);
    if (err == 0) break;
  }
  ::freeaddrinfo(found);
  switch (err) {
    case 0:
      return make_failure(FailureKind::connect, fmt::format("could not connect to {}", url.origin()));
    case ECONNREFUSED:
      return make_failure(FailureKind::connect, "connection refused");
    case ETIMEDOUT:
      return make_failure(FailureKind::timeout, fmt::format("timed out after {} ms connecting", timeout.count()));
    case ENETUNREACH:
      return make_failure(FailureKind::connect, "network is unreachable");
    case EHOSTUNREACH:
      return make_failure(FailureKind::connect, "host is unreachable");
    default:
      return make_failure(FailureKind::connect, fmt::format("cannot connect: {}", lower_errno(err)));
  }
}

// ---- TLS errors ---------------------------------------------------------------------------------

std::optional<tls::CertificateInfo> inspect(X509* cert) {
  if (cert == nullptr) return std::nullopt;
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return std::nullopt;
  std::string pem(BIO_ctrl_pending(bio.get()), '\0');
  const int n = BIO_read(bio.get(), pem.data(), static_cast<int>(pem.size()));
  pem.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  auto info = tls::inspect_certificate(pem);
  if (!info) return std::nullopt;
  return *info;
}

std::string host_mismatch(const std::optional<tls::CertificateInfo>& info, const std::string& host) {
  if (!info) return fmt::format("TLS: certificate is not valid for {}", host);
  std::vector<std::string> names = info->dns_names;
  names.insert(names.end(), info->ip_addresses.begin(), info->ip_addresses.end());
  if (names.empty()) {
    return fmt::format(
        "TLS: certificate has no subject alternative names (its CN \"{}\" is not used), so it is "
        "not valid for {}",
        info->subject_cn, host);
  }
  std::string listed;
  for (std::size_t i = 0; i < names.size() && i < k_names_listed; ++i) listed += (i > 0 ? ", " : "") + names[i];
  if (names.size() > k_names_listed) listed += fmt::format(" and {} more", names.size() - k_names_listed);
  return fmt::format("TLS: certificate is for {}, not {}", listed, host);
}

// `subject` is the certificate the error is about; `depth` 0 means the server's own.
std::string verification_message(int error, int depth, const std::optional<tls::CertificateInfo>& subject,
                                 const std::optional<tls::CertificateInfo>& leaf, const std::string& host) {
  const std::string which = depth == 0 || !subject ? std::string("certificate")
                                                   : fmt::format("issuing certificate \"{}\"", subject->subject_cn);
  const std::string issuer = subject ? fmt::format(" \"{}\"", subject->issuer_cn) : std::string();
  switch (error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return host_mismatch(leaf, host);
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return subject ? fmt::format("TLS: {} has expired (notAfter {})", which, day_of(subject->not_after))
                     : "TLS: certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return subject ? fmt::format("TLS: {} is not yet valid (notBefore {})", which, day_of(subject->not_before))
                     : "TLS: certificate is not yet valid";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "TLS: self-signed certificate (pass --ca-file with its CA, or --insecure)";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return fmt::format(
          "TLS: self-signed certificate{} in the chain is not trusted (pass --ca-file with it, or "
          "--insecure)",
          subject ? fmt::format(" \"{}\"", subject->subject_cn) : std::string());
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return fmt::format(
          "TLS: unable to get local issuer certificate{} (the server may not send its intermediate "
          "certificates; for a private CA pass --ca-file with it, or --insecure)",
          issuer);
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return fmt::format("TLS: {} is signed with a digest too weak to trust ({})", which,
                         subject ? subject->signature_algorithm : std::string("unknown"));
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
      return subject ? fmt::format("TLS: {} has a key too small to trust ({} {} bits)", which, subject->key_type,
                                   subject->key_bits)
                     : "TLS: certificate has a key too small to trust";
    default:
      return fmt::format("TLS: certificate verification failed: {}", X509_verify_cert_error_string(error));
  }
}

std::string handshake_message() {
  // The first error is the cause; httplib's SSL_shutdown afterwards adds "shutdown while in init".
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0) return "TLS: handshake failed: the server closed the connection";
  const char* text = ERR_reason_error_string(code);
  const std::string reason = text != nullptr ? text : fmt::format("OpenSSL error {:#x}", code);
  if (reason == "wrong version number" || reason == "packet length too long" || reason == "http request") {
    return fmt::format("TLS: handshake failed: {} (the server may speak plain HTTP: try http://)", reason);
  }
  if (reason.starts_with("unexpected eof")) return "TLS: handshake failed: the server closed the connection";
  if (reason.find("protocol version") != std::string::npos || reason == "unsupported protocol") {
    return fmt::format("TLS: handshake failed: {} (no TLS version in common; ctg needs TLS 1.2 or 1.3)", reason);
  }
  if (reason.find("handshake failure") != std::string::npos) {
    return fmt::format("TLS: handshake failed: {} (no cipher suite in common?)", reason);
  }
  return fmt::format("TLS: handshake failed: {}", reason);
}

// ---- requests -----------------------------------------------------------------------------------

bool is_framing_header(std::string_view name) {
  return header_name_equals(name, "Content-Length") || header_name_equals(name, "Transfer-Encoding") ||
         header_name_equals(name, "Connection");
}

bool has_header(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return header_name_equals(h.first, name); });
}


}  // namespace

Result<void> check_ca_file(const std::string& path) {
  auto bio = std::unique_ptr<BIO, decltype(&BIO_free_all)>(BIO_new_file(path.c_str(), "r"), &BIO_free_all);
  if (!bio) {
    const int err = errno;
    ERR_clear_error();
    return fail(ErrorKind::io, fmt::format("cannot read CA file {}: {}", path, lower_errno(err)));
  }
  X509Ptr first(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!first) {
    return fail(ErrorKind::usage, fmt::format("CA file {} holds no PEM certificate", path),
                "pass a file with \"-----BEGIN CERTIFICATE-----\" blocks");
  }
  return {};
}

struct Client::Impl {
  Url origin;
  ClientOptions options;
  HandshakeRecord record;  // before `http`, whose SSL_CTX points at it, so that it outlives it
  std::unique_ptr<httplib::ClientImpl> http;

  Failure describe(httplib::Error error, Clock::duration elapsed);
  Failure describe_verification();
};

Failure Client::Impl::describe(httplib::Error error, Clock::duration elapsed) {
  const auto timed_out = [&](milliseconds limit) { return elapsed >= limit; };
  switch (error) {
    case httplib::Error::Connection:
      return diagnose_connect(origin, options.connect_timeout);
    case httplib::Error::ConnectionTimeout:
      return make_failure(FailureKind::timeout,
                          fmt::format("timed out after {} ms connecting", options.connect_timeout.count()));
    case httplib::Error::Read:
      if (timed_out(options.timeout)) {
        return make_failure(FailureKind::timeout,
                            fmt::format("timed out after {} ms waiting for the answer", options.timeout.count()));
      }
      return make_failure(FailureKind::protocol, "the connection closed before a complete HTTP answer arrived");
    case httplib::Error::Write:
      if (timed_out(options.timeout)) {
        return make_failure(FailureKind::timeout,
                            fmt::format("timed out after {} ms sending the request", options.timeout.count()));
      }
      return make_failure(FailureKind::protocol, "the connection closed while the request was being sent");
    case httplib::Error::SSLConnection:
      if (record.error != X509_V_OK) {
        ERR_clear_error();
        return describe_verification();
      }
      if (timed_out(options.connect_timeout)) {
        ERR_clear_error();
        return make_failure(FailureKind::timeout,
                            fmt::format("timed out after {} ms in the TLS handshake", options.connect_timeout.count()));
      }
      return make_failure(FailureKind::tls, handshake_message());
    case httplib::Error::Compression:
      return make_failure(FailureKind::protocol, "the answer body could not be decompressed");
    default:
      return make_failure(FailureKind::other, fmt::format("request failed: {}", httplib::to_string(error)));
  }
}

Failure Client::Impl::describe_verification() {
  if (!record.leaf) return make_failure(FailureKind::tls, "TLS: the server sent no certificate");
  const auto leaf = inspect(record.leaf.get());
  const auto subject = record.error_certificate ? inspect(record.error_certificate.get()) : leaf;
  return make_failure(FailureKind::tls,
                      verification_message(record.error, record.error_depth, subject, leaf, origin.host));
}

std::string describe_tls_failure(::ssl_st* ssl, const std::string& host) {
  const long error = SSL_get_verify_result(ssl);
  if (error == X509_V_OK) return handshake_message();
  ERR_clear_error();
  const auto leaf = inspect(SSL_get0_peer_certificate(ssl));
  return verification_message(static_cast<int>(error), 0, leaf, leaf, host);
}

Client::Client(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(const Url& origin, const ClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->origin = origin;
  impl->options = options;
  if (origin.scheme == "https") {
    if (!options.insecure && !options.ca_file.empty()) {
      if (auto usable = check_ca_file(options.ca_file); !usable) return std::unexpected(usable.error());
    }
    auto tls = std::make_unique<httplib::SSLClient>(origin.host, origin.port);
    if (!tls->is_valid()) return fail(ErrorKind::internal, "cannot create a TLS context");
    // ctg verifies with OpenSSL during the handshake and leaves httplib's check off: httplib 0.11
    // falls back to the subject CN and, for an IPv6 host, compares 16 bytes against 4-byte IPv4
    // SAN entries (a heap over-read).
    tls->enable_server_certificate_verification(false);
    SSL_CTX* context = tls->ssl_context();
    SSL_CTX_set_ex_data(context, record_index(), &impl->record);
    if (options.insecure) {
      SSL_CTX_set_verify(context, SSL_VERIFY_NONE, &record_verification);
    } else {
      const bool loaded = options.ca_file.empty()
                              ? SSL_CTX_set_default_verify_paths(context) == 1  // the system store
                              : SSL_CTX_load_verify_locations(context, options.ca_file.c_str(), nullptr) == 1;
      ERR_clear_error();
      if (!loaded) {
        return fail(ErrorKind::io, fmt::format("cannot load the trusted certificates from {}",
                                               options.ca_file.empty() ? "the system store" : options.ca_file));
      }
      X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context);
      const int set = is_ip_address(origin.host)
                          ? X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), origin.host.size());
      X509_VERIFY_PARAM_set_hostflags(param,
                                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
      if (set != 1) {
        return fail(ErrorKind::usage, fmt::format("cannot check TLS certificates for host {}", origin.host));
      }
      SSL_CTX_set_verify(context, SSL_VERIFY_PEER, &record_verification);
    }
    impl->http = std::move(tls);
  } else {
    impl->http = std::make_unique<httplib::ClientImpl>(origin.host, origin.port);
  }
  httplib::ClientImpl& http = *impl->http;
  http.set_keep_alive(true);
  http.set_follow_location(false);
  http.set_url_encode(false);
  http.set_tcp_nodelay(true);
  http.set_connection_timeout(options.connect_timeout);
  http.set_read_timeout(options.timeout);
  http.set_write_timeout(options.timeout);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

std::expected<Response, Failure> Client::send(std::string_view method, const std::string& target,
                                              const HeaderList& headers, std::string_view body,
                                              std::string_view content_type) {
  httplib::Request request;
  request.method = std::string(method);
  request.path = target.empty() ? std::string("/") : target;
  for (const auto& [name, value] : headers) {
    if (!is_framing_header(name)) request.headers.emplace(name, value);
  }
  if (!has_header(headers, "Host")) {
    const std::string origin = m_impl->origin.origin();
    request.headers.emplace("Host", origin.substr(origin.find("://") + 3));
  }
  if (!has_header(headers, "User-Agent")) request.headers.emplace("User-Agent", "ctg/" CTG_VERSION);
  if (!body.empty() && !content_type.empty() && !has_header(headers, "Content-Type")) {
    request.headers.emplace("Content-Type", std::string(content_type));
  }
  request.body = std::string(body);

  Response response;
  const std::size_t keep = m_impl->options.max_body_kept;
  request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t, std::uint64_t) {
    response.body_size += length;
    if (response.body.size() < keep) response.body.append(data, std::min(length, keep - response.body.size()));
    return true;
  };

  m_impl->record.reset();
  ERR_clear_error();
  httplib::Response answer;
  httplib::Error error = httplib::Error::Success;
  const auto start = Clock::now();
  const bool ok = m_impl->http->send(request, answer, error);
  const auto elapsed = Clock::now() - start;
  if (!ok) {
    Failure failure = m_impl->describe(error, elapsed);
    failure.latency = duration_cast<microseconds>(elapsed);
    return std::unexpected(std::move(failure));
  }
  response.status = answer.status;
  for (const auto& [name, value] : answer.headers) response.headers.emplace_back(name, value);
  response.latency = duration_cast<microseconds>(elapsed);
  return response;
}

}  // namespace ctg::net
