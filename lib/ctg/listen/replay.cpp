#include "ctg/listen/replay.hpp"

#include "ctg/listen/delivery_text.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::listen {

ReplayResult replay(const store::Delivery& delivery, net::Client& client, const std::string& target,
                    const ReplayOptions& options) {
  ReplayResult result{delivery.id, {}, std::unexpected(net::Failure{})};
  net::HeaderList headers;
  result.signature = options.resign_secret
                         ? signing::sign(*options.resign_secret, options.now, delivery.body)
                         : header_value(delivery, signing::k_header_name);
  if (!result.signature.empty()) headers.emplace_back(std::string(signing::k_header_name), result.signature);
  headers.emplace_back("X-Ctg-Replay", std::to_string(delivery.id));
  for (const auto& h : options.extra_headers) headers.push_back(h);
  std::string content_type = header_value(delivery, "Content-Type");
  if (content_type.empty()) content_type = "application/json";
  result.outcome = client.send("POST", target, headers, delivery.body, content_type);
  return result;
}

}  // namespace ctg::listen
