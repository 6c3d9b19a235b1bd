// Test support for `ctg check`: a PKI made with ctg::tls (a root CA, an intermediate, and leaves
// with each flaw the check looks for) and a TLS server that drives OpenSSL directly, so that it can
// do what a well-behaved library refuses to: offer TLS 1.0, serve RSA-1024 and SHA-1 leaves, leave
// out the intermediate, redirect, answer slowly. No OpenSSL type crosses this header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "listen_support.hpp"

namespace ctg::test {

// ---- certificates -----------------------------------------------------------------------------------

// What a server loads: the certificates it sends (leaf first) and the leaf's private key.
struct ServerCertificate {
  std::string chain_file;
  std::string key_file;
};

// Every leaf but the self-signed one is issued by the intermediate, which the root signed; SANs
// are localhost and 127.0.0.1 unless said otherwise, and the chain file holds leaf + intermediate.
struct CheckPki {
  std::string root_ca_file;                // the root alone: what --ca-file names
  ServerCertificate valid;                 // 90 days left
  ServerCertificate missing_intermediate;  // the valid leaf, served without its intermediate
  ServerCertificate expired;               // ended 10 days ago
  ServerCertificate not_yet_valid;         // starts in 10 days
  ServerCertificate expiring_soon;         // 20 days left
  ServerCertificate wrong_host;            // SAN other.example only
  ServerCertificate rsa_1024;              // a 1024-bit RSA key
  ServerCertificate sha1_signed;           // signed with SHA-1
  ServerCertificate self_signed;           // its own issuer; its chain file can serve as --ca-file
};

// The PKI, made on first use and shared by every test of the process (files under a temporary
// folder removed at exit). REQUIREs that every certificate could be made.
const CheckPki& check_pki();

// ---- a TLS server -----------------------------------------------------------------------------------

enum class TlsVersion { tls1_0, tls1_1, tls1_2, tls1_3 };

// How the server answers one request.
struct HttpReply {
  int status = 200;
  Headers headers;                      // besides Content-Type, Content-Length, Connection: close
  std::string body = R"({"ok":true})";  // sent as application/json
  std::chrono::milliseconds delay{0};   // waited before answering (cut short by the destructor)
};

struct TlsServerOptions {
  ServerCertificate certificate;
  TlsVersion min_version = TlsVersion::tls1_2;
  TlsVersion max_version = TlsVersion::tls1_3;
  std::string ciphers;     // the TLS <= 1.2 cipher list; "" keeps OpenSSL's default
  int security_level = 2;  // OpenSSL's (Debian's default); 0 is needed to offer TLS 1.0/1.1 and to
                           // load RSA-1024 or SHA-1 leaves
  std::function<HttpReply(const ReceivedRequest&)> reply = [](const ReceivedRequest&) { return HttpReply{}; };
};

// Options for a server of the old school: TLS 1.0 to 1.3, OpenSSL's default ciphers at security
// level 0 (which adds CBC-SHA1 suites, but no 3DES, RC4, NULL or anonymous ones).
TlsServerOptions legacy_options(ServerCertificate certificate);

// An HTTPS server on 127.0.0.1 and a free port. One thread accepts; each connection gets a thread
// of its own that completes the handshake, reads one HTTP/1.1 request (head and Content-Length
// body), records it, answers per `reply` with Connection: close, and closes. Clients that connect
// and leave (protocol probes, aborted handshakes) are simply counted. The destructor stops
// accepting, cuts open connections and pending delays short, and joins every thread.
class TlsServer {
 public:
  explicit TlsServer(TlsServerOptions options);  // REQUIREs that the certificate loads
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  int port() const;
  std::string url(std::string_view path = "/hook") const;  // https://127.0.0.1:PORT/hook
  std::vector<ReceivedRequest> requests() const;           // in arrival order
  int connections() const;                                 // TCP connections accepted
  int handshakes() const;                                  // TLS handshakes completed

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ctg::test
