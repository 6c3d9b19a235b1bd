// ctg::listen — re-delivering journaled events (`ctg events replay`), and turning a delivery back
// into what it was on the wire (a captured HTTP request, a fixture).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ctg/core/clock.hpp"
#include "ctg/core/error.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/store/journal.hpp"

namespace ctg::listen {

struct ReplayOptions {
  std::optional<std::string> resign_secret;  // sign afresh with this secret at `now` instead of the original
  UnixSeconds now = 0;
  net::HeaderList extra_headers;
};

struct ReplayResult {
  std::int64_t delivery_id = 0;
  std::string signature;  // the Contiguity-Signature sent ("" when none)
  std::expected<net::Response, net::Failure> outcome;
};

// POSTs the delivery's exact body to the client's origin + `target`, with its original
// Contiguity-Signature (or a fresh one) and Content-Type, plus X-Ctg-Replay: <delivery id>.
ReplayResult replay(const store::Delivery& delivery, net::Client& client, const std::string& target,
                    const ReplayOptions& options);

// The delivery as an HTTP/1.1 request text (request line, headers, blank line, body): what
// `ctg verify --request` reads.
std::string to_http_request(const store::Delivery& delivery);

// The delivery's body as a fixture file: pretty-printed with its key order kept. Errors
// (invalid_input) when the body is not a JSON object.
Result<std::string> to_fixture(const store::Delivery& delivery);

// The value of a header of a journaled delivery (case-insensitive), or "".
std::string header_value(const store::Delivery& delivery, std::string_view name);

}  // namespace ctg::listen
