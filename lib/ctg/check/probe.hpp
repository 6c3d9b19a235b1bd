// ctg::check — the network side of `ctg check`: resolve, connect, and TLS handshakes driven with
// OpenSSL directly, each one a separate connection that can run on its own thread. A probe can
// offer exactly one protocol version or one class of ciphers (at security level 0, so that a
// server still offering TLS 1.0 can be caught doing it), record what the server sent (its
// certificate chain, an OCSP staple) and what was negotiated, and then send one HTTP/1.1 request
// and read its answer, timing each phase. Nothing here judges: checker.cpp does.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"

namespace ctg::check {

using Micros = std::chrono::microseconds;

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // "127.0.0.1", "::1"
};

struct Resolved {
  std::vector<Address> addresses;
  Micros took{0};
};

// getaddrinfo() for TCP. Errors (network): "could not resolve api.example.com: Name or service not known".
Result<Resolved> resolve(const std::string& host, std::uint16_t port);

struct TlsParams {
  std::string server_name;  // SNI; not sent when empty (IP literal hosts)
  int min_version = 0;      // TLS1_VERSION, ...; 0: the lowest this OpenSSL can do
  int max_version = 0;      // 0: the highest
  std::string cipher_list;  // TLS <= 1.2 cipher string; empty: every cipher this OpenSSL has, at security level 0
  bool ocsp = false;        // ask for a stapled OCSP answer
};

struct Answer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // at most the first 4 KiB
  Micros first_byte{0};  // from the request's last byte sent to the answer's first byte
  std::optional<std::string> header(std::string_view name) const;
};

struct ProbeResult {
  enum class Stage { connect, handshake, request, done };
  Stage reached = Stage::connect;  // the stage it failed in, or done
  std::string error;               // why it stopped short of done, in words
  bool local_unsupported = false;  // this machine's OpenSSL cannot offer what was asked
  bool timed_out = false;
  std::string address;             // the address connected to
  Micros connect_time{0};
  Micros tls_time{0};
  // After a handshake:
  std::string protocol;  // "TLSv1.3"
  int version = 0;       // TLS1_3_VERSION, ...
  std::string cipher;    // OpenSSL's name: "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"
  int cipher_bits = 0;
  bool aead = false;
  bool forward_secret = false;
  std::vector<std::string> chain_pem;  // as served, leaf first
  bool ocsp_stapled = false;
  std::optional<Answer> answer;  // when a request was given and answered

  bool handshake_ok() const { return reached == Stage::request || reached == Stage::done; }
};

// Connects to the first address that accepts (within `timeout` each), handshakes with `params`,
// and, when `request` is given (a whole HTTP/1.1 request, "Connection: close"), sends it and reads
// the answer. Each step waits at most `timeout`.
ProbeResult probe(const std::vector<Address>& addresses, const TlsParams& params,
                  std::chrono::milliseconds timeout, const std::string* request = nullptr);

// The OpenSSL name of a version constant: "TLSv1.3", "TLSv1", "SSLv3".
std::string version_name(int version);

}  // namespace ctg::check
