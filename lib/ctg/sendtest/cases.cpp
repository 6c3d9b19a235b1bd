#include "ctg/sendtest/cases.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ctg/events/catalog.hpp"
#include "ctg/events/event.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::sendtest {

namespace {

// Ten minutes: twice the platform's tolerance of five.
constexpr std::int64_t k_skew_seconds = 600;
constexpr std::string_view k_unknown_type = "ctg.conformance.unknown_type";
constexpr std::string_view k_no_secret = "no webhook secret (set CONTIGUITY_WEBHOOK_SECRET or pass --secret-file)";

struct Signing {
  std::optional<std::string> secret;  // none: no signature header
  UnixSeconds timestamp = 0;
  std::optional<std::string> header;  // sent as is instead of a computed one
};

TestRequest make_request(std::string event_id, std::string body, const Signing& signing, const PlanOptions& options) {
  TestRequest r;
  r.event_id = std::move(event_id);
  r.headers.emplace_back("Content-Type", "application/json");
  if (signing.header) {
    r.headers.emplace_back(std::string(signing::k_header_name), *signing.header);
  } else if (signing.secret) {
    r.headers.emplace_back(std::string(signing::k_header_name), signing::sign(*signing.secret, signing.timestamp, body));
  }
  if (options.test_header) r.headers.emplace_back(std::string(k_test_header), "true");
  for (const auto& header : options.extra_headers) r.headers.push_back(header);
  r.body = std::move(body);
  return r;
}

struct Fresh {
  std::string id;
  std::string body;
};

// `payload` with a new id and `timestamp`, the overrides applied, then `extra` ones.
Result<Fresh> fresh(const Payload& payload, UnixSeconds timestamp, const PlanOptions& options,
                    std::vector<events::Override> extra = {}) {
  events::InstantiateOptions instantiate;
  instantiate.id = events::new_event_id();
  instantiate.timestamp = timestamp;
  instantiate.overrides = options.overrides;
  for (auto& o : extra) instantiate.overrides.push_back(std::move(o));
  instantiate.pretty = false;
  auto body = events::instantiate_body(payload.body, instantiate);
  if (!body) return std::unexpected(body.error());
  auto event = events::parse_event(*body);
  if (!event) {
    return fail(ErrorKind::usage, fmt::format("{} does not make a valid event: {}", payload.source, event.error().message),
                options.overrides.empty() ? "" : "check the --set values against the event's fields");
  }
  return Fresh{event->id(), std::move(*body)};
}

Case base_case(std::string name, std::string type, std::string what, std::string risk, StatusExpectation expect) {
  Case c;
  c.suite = "conformance";
  c.name = std::move(name);
  c.type = std::move(type);
  c.what = std::move(what);
  c.risk = std::move(risk);
  c.expect = std::move(expect);
  return c;
}

}  // namespace

Result<std::vector<Payload>> fixture_payloads(std::span<const std::string> globs) {
  std::vector<const events::EventType*> types;
  if (globs.empty()) {
    types = events::current_types();
  } else {
    for (const auto& glob : globs) {
      auto matched = events::match_types(glob);
      if (matched.empty()) {
        if (glob.find_first_of("*?") == std::string::npos) {
          auto fixture = events::find_fixture(glob);  // explains an unknown name, with suggestions
          if (!fixture) return std::unexpected(fixture.error());
        }
        return fail(ErrorKind::usage, fmt::format("no current event type matches \"{}\"", glob),
                    "list them with: ctg fixtures list");
      }
      for (const auto* type : matched) {
        if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
      }
    }
  }
  std::vector<Payload> out;
  for (const auto* type : types) {
    auto fixture = events::find_fixture(type->name);
    if (!fixture) return std::unexpected(fixture.error());
    out.push_back({std::string(type->name), std::string(fixture->content), fmt::format("fixture {}", fixture->file)});
  }
  return out;
}

Result<Payload> file_payload(std::string_view path, std::string_view content) {
  auto event = events::parse_event(std::string(content));
  if (!event) return fail(ErrorKind::usage, fmt::format("{}: {}", path, event.error().message));
  return Payload{event->type(), std::string(content), fmt::format("file {}", path)};
}

Result<std::vector<Case>> sample_cases(std::span<const Payload> payloads, const PlanOptions& options) {
  std::vector<Case> out;
  for (const auto& payload : payloads) {
    auto body = fresh(payload, options.now, options);
    if (!body) return std::unexpected(body.error());
    Case c;
    c.suite = "send-test";
    c.name = payload.type;
    c.type = payload.type;
    c.what = fmt::format("{} from {}{}", payload.type, payload.source, options.secret ? ", signed" : ", unsigned");
    c.risk = "the receiver does not take this event as the platform sends it";
    c.expect = options.expect;
    c.requests.push_back(make_request(body->id, std::move(body->body), {options.secret, options.now, {}}, options));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<Case>> conformance_cases(const Payload& probe, std::span<const Payload> payloads,
                                            const PlanOptions& options) {
  using E = StatusExpectation;
  std::vector<Case> out;
  const UnixSeconds now = options.now;
  const auto& secret = options.secret;
  auto add = [&](Case c, Result<Fresh> body, const Signing& signing) -> Result<void> {
    if (!body) return std::unexpected(body.error());
    if (c.skipped.empty()) c.requests.push_back(make_request(body->id, std::move(body->body), signing, options));
    out.push_back(std::move(c));
    return {};
  };
  auto needs_secret = [&](Case c) {
    if (!secret) c.skipped = std::string(k_no_secret);
    return c;
  };

  // Genuine.
  if (auto r = add(needs_secret(base_case("valid signed delivery", probe.type, "a correctly signed event",
                                          "genuine deliveries are refused: every event is lost", E::success())),
                   fresh(probe, now, options), {secret, now, {}});
      !r) {
    return std::unexpected(r.error());
  }

  // Forged: each must be refused with a 4xx.
  {
    auto c = needs_secret(base_case("tampered body", probe.type, "the body changed after signing, original signature",
                                    "anyone on the path can alter events and the receiver believes them",
                                    E::client_error()));
    auto body = fresh(probe, now, options);
    if (!body) return std::unexpected(body.error());
    if (c.skipped.empty()) {
      const auto header = signing::sign(*secret, now, body->body);
      // The same event with another id: valid JSON, valid envelope, but not the bytes signed.
      auto changed = events::instantiate_body(body->body, {.id = body->id + "x", .pretty = false});
      if (!changed) return std::unexpected(changed.error());
      c.requests.push_back(make_request(body->id + "x", std::move(*changed), {std::nullopt, now, header}, options));
    }
    out.push_back(std::move(c));
  }
  if (auto r = add(needs_secret(base_case("wrong secret", probe.type, "signed with a secret that is not yours",
                                          "signatures are not checked against your secret: anyone can forge events",
                                          E::client_error())),
                   fresh(probe, now, options), {std::string("whsec_ctg_conformance_wrong_secret"), now, {}});
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = add(needs_secret(base_case("missing signature", probe.type, "no Contiguity-Signature header",
                                          "unsigned requests are accepted: anyone can forge events", E::client_error())),
                   fresh(probe, now, options), {std::nullopt, now, {}});
      !r) {
    return std::unexpected(r.error());
  }
  {
    auto c = needs_secret(base_case("malformed signature header", probe.type,
                                    "Contiguity-Signature: sha256=<hex>, not t=...,v1=...",
                                    "a signature header that does not parse is accepted: anyone can forge events",
                                    E::client_error()));
    auto body = fresh(probe, now, options);
    if (!body) return std::unexpected(body.error());
    if (c.skipped.empty()) {
      const auto hex = signing::compute_v1(*secret, now, body->body);
      c.requests.push_back(make_request(body->id, std::move(body->body), {std::nullopt, now, "sha256=" + hex}, options));
    }
    out.push_back(std::move(c));
  }
  if (auto r = add(needs_secret(base_case("timestamp 10 minutes old", probe.type,
                                          "correctly signed, but at a time 600 s ago (tolerance is 300 s)",
                                          "a captured delivery can be replayed later and is believed", E::client_error())),
                   fresh(probe, now - k_skew_seconds, options), {secret, now - k_skew_seconds, {}});
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = add(needs_secret(base_case("timestamp 10 minutes ahead", probe.type,
                                          "correctly signed, but at a time 600 s from now",
                                          "signatures dated in the future are believed (no tolerance check)",
                                          E::client_error())),
                   fresh(probe, now + k_skew_seconds, options), {secret, now + k_skew_seconds, {}});
      !r) {
    return std::unexpected(r.error());
  }

  // Robustness: acknowledged.
  {
    auto c = base_case("duplicate delivery", probe.type, "the same delivery twice, as the platform retries",
                       "a retried delivery is refused, so the platform keeps retrying it; acknowledge repeats "
                       "and process each event id once",
                       E::success());
    auto body = fresh(probe, now, options);
    if (!body) return std::unexpected(body.error());
    auto first = make_request(body->id, body->body, {secret, now, {}}, options);
    auto second = first;
    c.requests.push_back(std::move(first));
    c.requests.push_back(std::move(second));
    out.push_back(std::move(c));
  }
  if (auto r = add(base_case("unknown event type", std::string(k_unknown_type),
                             fmt::format("a {} event: a type this receiver cannot know", k_unknown_type),
                             "a new event type from the platform would break the receiver; acknowledge types you "
                             "do not handle",
                             E::success()),
                   fresh(probe, now, options, {{"type", std::string(k_unknown_type)}}), {secret, now, {}});
      !r) {
    return std::unexpected(r.error());
  }

  // Every type.
  for (const auto& payload : payloads) {
    auto body = fresh(payload, now, options);
    if (!body) return std::unexpected(body.error());
    auto c = base_case(fmt::format("accepts {}", payload.type), payload.type,
                       fmt::format("{} from {}{}", payload.type, payload.source, secret ? ", signed" : ", unsigned"),
                       "events of this type are lost", E::success());
    c.requests.push_back(make_request(body->id, std::move(body->body), {secret, now, {}}, options));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ctg::sendtest
