#include "ctg/listen/pipeline.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/text.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::listen {

Verdict reject(int status, std::string_view code, std::string_view message) {
  Verdict v;
  v.status = status;
  v.rejection = fmt::format("{}: {}", code, message);
  // The message may quote request bytes that are not UTF-8 (a path, a header): they become U+FFFD.
  v.answer = nlohmann::ordered_json{{"received", false}, {"error", code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return v;
}

std::string accepted_answer(std::string_view event_id, bool duplicate) {
  // Built by hand: it is made for every delivery. The id came out of a JSON parser, so it is
  // valid UTF-8; dump() adds the quotes and escapes.
  std::string answer = R"({"received":true,"id":)";
  if (text::is_plain_json_text(event_id)) {
    answer += '"';
    answer += event_id;
    answer += '"';
  } else {
    answer += nlohmann::json(event_id).dump();
  }
  answer += duplicate ? R"(,"duplicate":true})" : "}";
  return answer;
}

std::optional<Verdict> check_head(std::string_view method, std::string_view path,
                                  std::optional<std::uint64_t> content_length, const ReceiverPolicy& policy) {
  if (method != "POST") {
    auto v = reject(405, "method_not_allowed", fmt::format("{} is not accepted here; webhooks are POSTed", method));
    v.allow = "POST";
    return v;
  }
  // The path without its query string must match exactly.
  const auto bare = path.substr(0, path.find('?'));
  if (bare != policy.path) {
    return reject(404, "not_found", fmt::format("no webhook endpoint at {}; this receiver listens on {}", bare,
                                                policy.path));
  }
  if (content_length && *content_length > policy.max_body) {
    return reject(413, "body_too_large",
                  fmt::format("body of {} bytes exceeds the limit of {} bytes", *content_length, policy.max_body));
  }
  return std::nullopt;
}

Verdict judge_body(std::string_view body, std::string_view signature, const ReceiverPolicy& policy, UnixSeconds now) {
  if (body.size() > policy.max_body) {
    return reject(413, "body_too_large",
                  fmt::format("body of more than {} bytes exceeds the limit", policy.max_body));
  }
  std::string verification = "unverified";
  std::string verification_message;
  std::vector<std::string> hints;
  if (!policy.secrets.empty()) {
    const auto result = signing::verify(signature, policy.secrets, body, now,
                                        {.tolerance_seconds = policy.tolerance_seconds, .diagnose = policy.diagnose});
    verification = std::string(signing::to_string(result.outcome));
    if (!result.valid()) {
      auto v = reject(401, verification, result.message);
      v.verification = verification;
      v.verification_message = result.message;
      v.hints = result.hints;
      return v;
    }
  }
  auto event = events::read_event_head(body);
  if (!event) {
    auto v = reject(400, "invalid_event", event.error().message);
    v.verification = verification;
    return v;
  }
  Verdict v;
  v.status = 200;
  v.verification = std::move(verification);
  v.verification_message = std::move(verification_message);
  v.hints = std::move(hints);
  v.answer = accepted_answer(event->id, false);
  v.event = std::move(*event);
  return v;
}

}  // namespace ctg::listen
