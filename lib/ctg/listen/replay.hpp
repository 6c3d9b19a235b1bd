// ctg::listen — re-delivering journaled events (`ctg events replay`).
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

}  // namespace ctg::listen
