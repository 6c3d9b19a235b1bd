// ctg::net — outgoing HTTP/1.1 requests (forwarding, replay, send-test, register, check), over
// cpp-httplib, with errors worded for the user and redirects never followed.
//
// A Client holds one keep-alive connection to one origin; it is NOT thread-safe: use one Client per
// thread. Latency is measured from just before the request is written to the full answer read
// (a new connection's connect and TLS handshake included).
//
// TLS: unless `insecure`, the server's chain must lead to a trusted root (ca_file alone, else the
// system store OpenSSL is configured with: /etc/ssl/certs on Debian; loaded by create()) and a
// subjectAltName entry must match the URL's host (DNS names, wildcards only as a whole left-most
// label; IP addresses against IP entries; the subject CN is never used). OpenSSL checks all of it
// during the handshake at its default security level, so SHA-1 signatures and RSA keys under 2048
// bits are refused too. Missing intermediates are never fetched. SNI carries the URL's host.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"
#include "ctg/net/url.hpp"

struct ssl_st;  // OpenSSL's SSL

namespace ctg::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};  // default 5 s
  std::chrono::milliseconds timeout{10000};         // read/write timeout, default 10 s
  bool insecure = false;                            // skip certificate verification (https)
  std::string ca_file;                              // PEM bundle to trust instead of the system store
  std::size_t max_body_kept = 64 * 1024;            // bytes of the answer body kept in Response::body
};

struct Response {
  int status = 0;
  HeaderList headers;
  std::string body;           // at most max_body_kept bytes
  std::size_t body_size = 0;  // the whole body's length as received (body may hold less)
  std::chrono::microseconds latency{0};

  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
  bool is_redirect() const { return status >= 300 && status < 400; }
};

// Why no HTTP answer came back.
enum class FailureKind { dns, connect, timeout, tls, protocol, other };

struct Failure {
  FailureKind kind = FailureKind::other;
  // One sentence, no trailing period:
  //   dns      "could not resolve api.example.com"
  //   connect  "connection refused", "network is unreachable", "host is unreachable"
  //   timeout  "timed out after 5000 ms connecting", "timed out after 5000 ms in the TLS handshake",
  //            "timed out after 10000 ms waiting for the answer", "timed out after 10000 ms sending the request"
  //   tls      "TLS: certificate has expired (notAfter 2026-01-01)",
  //            "TLS: certificate is not yet valid (notBefore 2030-01-01)",
  //            "TLS: certificate is for api.example.com, www.example.com, not localhost",
  //            "TLS: self-signed certificate (pass --ca-file with its CA, or --insecure)",
  //            "TLS: unable to get local issuer certificate \"Example CA\" (the server may not send its
  //             intermediate certificates; for a private CA pass --ca-file with it, or --insecure)",
  //            "TLS: certificate is signed with a digest too weak to trust (sha1WithRSAEncryption)",
  //            "TLS: certificate has a key too small to trust (RSA 1024 bits)",
  //            "TLS: handshake failed: <OpenSSL's reason>", ... (an issuing certificate's problem names it)
  //   protocol "the connection closed before a complete HTTP answer arrived"
  std::string message;
  std::chrono::microseconds latency{0};
};

// Why a TLS handshake on `ssl` (a client connection to `host`, verifying with SSL_VERIFY_PEER) just
// failed, in the words of Failure's tls messages above: the certificate's problem when verification
// failed (taken as the server's own certificate's), else the handshake's reason from OpenSSL's
// error queue. For clients that drive OpenSSL themselves (send-test's load mode).
std::string describe_tls_failure(::ssl_st* ssl, const std::string& host);

// Makes sure `path` holds at least one PEM certificate, before anything is sent. Errors: (io)
// "cannot read CA file x.pem: no such file or directory"; (usage) "CA file x.pem holds no PEM
// certificate".
Result<void> check_ca_file(const std::string& path);

class Client {
 public:
  // REQUIRES: url.scheme is http or https. Errors: an unreadable ca_file (io: "cannot read CA file
  // x.pem: no such file or directory"), one without a PEM certificate (usage: "CA file x.pem holds no
  // PEM certificate"); ca_file is not looked at when `insecure` or for http. Creating a client does
  // not connect: the first send() does.
  static Result<std::unique_ptr<Client>> create(const Url& origin, const ClientOptions& options);
  ~Client();

  // Sends one request to `target` (path and query, sent byte for byte) on this client's origin.
  // Returns the answer, a redirect included (3xx is returned, never followed), or the Failure that
  // prevented one. Host (the URL's authority) and User-Agent ("ctg/<version>") are added unless in
  // `headers`; Content-Type is added for a non-empty body unless in `headers`; Content-Length,
  // Transfer-Encoding and Connection in `headers` are ignored (the client frames the body itself).
  // An answer body longer than max_body_kept is read to its end and cut.
  std::expected<Response, Failure> send(std::string_view method, const std::string& target, const HeaderList& headers,
                                        std::string_view body, std::string_view content_type = "application/json");

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ctg::net
