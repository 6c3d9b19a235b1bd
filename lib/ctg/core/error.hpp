// ctg::core — the one error style of ctg's library.
//
// Every fallible function in lib/ returns Result<T>: the value, or an Error naming its kind and a
// message written for the user ("cannot read fixture x.json: no such file"). The kind decides the
// process exit code (see exit_code.hpp); the message and the optional hint are printed as they are.
// Library code never throws across its public API and never prints.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace ctg {

enum class ErrorKind {
  usage,          // bad flags, arguments or configuration: the user must change the command
  invalid_input,  // input data (a body, a fixture, a header) is malformed
  check_failed,   // the thing checked was examined and failed (bad signature, non-2xx, ...)
  network,        // DNS, connect, timeout, protocol error talking to a peer
  tls,            // TLS handshake or certificate problem
  io,             // local files, sockets, the journal
  refused,        // a server refused the request (auth, not offered)
  interrupted,    // SIGINT or SIGTERM
  internal,       // a bug in ctg
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // what happened, one sentence, no trailing period
  std::string hint;     // what to do about it; may be empty
};

template <class T>
using Result = std::expected<T, Error>;

// Builds the error side of a Result: `return fail(ErrorKind::io, "cannot open x");`
inline std::unexpected<Error> fail(ErrorKind kind, std::string message, std::string hint = {}) {
  return std::unexpected<Error>(Error{kind, std::move(message), std::move(hint)});
}

}  // namespace ctg
