// ctg::listen — a journaled delivery turned back into what it was on the wire: a captured HTTP
// request (`ctg events show --raw`), a fixture (`ctg events to-fixture`), one of its headers.
// Nothing here talks to the network.
#pragma once

#include <string>
#include <string_view>

#include "ctg/core/error.hpp"
#include "ctg/store/journal.hpp"

namespace ctg::listen {

// The delivery as an HTTP/1.1 request text (request line, headers, blank line, body): what
// `ctg verify --request` reads.
std::string to_http_request(const store::Delivery& delivery);

// The delivery's body as a fixture file: pretty-printed with its key order kept; control
// characters, C1 controls, DEL and bidirectional overrides in its strings written as \u escapes
// (the same values, safe to print). Errors (invalid_input) when the body is not a JSON object.
Result<std::string> to_fixture(const store::Delivery& delivery);

// The value of a header of a journaled delivery (case-insensitive), or "".
std::string header_value(const store::Delivery& delivery, std::string_view name);

}  // namespace ctg::listen
