// ctg register — preflight with ctg check, then upsert by URL through the Contiguity API
// (network: linked into ctg-net only).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/api/webhooks.hpp"
#include "ctg/check/checker.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/net/url.hpp"
#include "register_command.hpp"

namespace ctg::app {

namespace {

using nlohmann::ordered_json;

struct Preflight {
  std::string verdict;  // pass, warn, fail
  int failed = 0;
  int warnings = 0;
};

// Runs `ctg check` on the endpoint and reports its failures and warnings on stderr.
Preflight preflight(Context& context, const RegisterFlags& f, const net::Url& url,
                    const std::vector<std::string>& secrets) {
  auto& console = context.console;
  check::CheckOptions options;
  options.url = url;
  options.store.ca_file = f.api.ca_file;
  if (!secrets.empty()) options.secret = secrets.front();
  options.max_latency = std::chrono::milliseconds(f.max_latency_ms);
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.api.timeout_seconds * 1000));
  options.now = unix_now();
  options.user_agent = f.api.user_agent + " (register preflight)";
  const auto report = check::run_check(options);
  Preflight out;
  out.verdict = std::string(check::verdict(report));
  for (const auto& finding : report.findings) {
    if (finding.severity == check::Severity::fail) ++out.failed;
    if (finding.severity == check::Severity::warn) ++out.warnings;
  }
  console.info(fmt::format("preflight (ctg check {}): {}, {} failed, {} warning{}", url.str(), out.verdict, out.failed,
                           out.warnings, out.warnings == 1 ? "" : "s"));
  for (const auto& finding : report.findings) {
    if (finding.severity != check::Severity::fail && finding.severity != check::Severity::warn) continue;
    const bool failed = finding.severity == check::Severity::fail;
    console.info(fmt::format("  {} {}: {}", console.paint_err(failed ? output::Tone::bad : output::Tone::warn,
                                                             failed ? "✗" : "!"),
                             finding.title, finding.message));
    if (!finding.fix.empty()) console.info(fmt::format("    fix: {}", finding.fix));
  }
  if (secrets.empty()) {
    console.info("  (no webhook secret: the sample went unsigned; set CONTIGUITY_WEBHOOK_SECRET to prove the endpoint "
                 "accepts signed events)");
  }
  return out;
}

std::string describe(const api::Webhook& w) {
  std::string line = fmt::format("{} {} (events: {}", w.id, w.url, api::events_text(w.events));
  if (!w.description.empty()) line += fmt::format("; description: {}", w.description);
  return line + ")";
}

ordered_json changes_json(const api::Plan& plan) {
  auto out = ordered_json::array();
  for (const auto& c : plan.changes) out.push_back({{"field", c.field}, {"from", c.from}, {"to", c.to}});
  return out;
}

// POST /webhooks; when an answer was lost after the API may have acted (5xx, timeout), looks for
// the URL before asking again, so that a retry never registers the endpoint twice.
std::expected<api::Webhook, Error> create(api::ApiClient& api, const api::Plan& plan, int retries,
                                          output::Console& console) {
  const api::Call call{.method = "POST", .path = "/webhooks", .body = plan.body(), .repeatable = false};
  for (int attempt = 0;; ++attempt) {
    auto created = api.call(call);
    if (created) return api::parse_webhook(*created);
    if (!created.error().maybe_applied || attempt >= retries) return std::unexpected(created.error().error);
    console.warn(fmt::format("{}; checking whether the endpoint was registered before trying again",
                             created.error().error.message));
    auto webhooks = list_webhooks(api);
    if (!webhooks) return std::unexpected(webhooks.error());
    if (const auto* found = api::find_by_url(*webhooks, plan.desired.url)) {
      console.warn(fmt::format("the endpoint was registered ({}) but the API's answer was lost, and with it the "
                               "signing secret: find it in the Console ({})",
                               found->id, api::k_console_url));
      return *found;
    }
    api.pause(attempt);
  }
}

Result<ExitCode> run_register(Context& context, const RegisterFlags& f) {
  auto& console = context.console;
  auto url = net::parse_url(f.url);
  if (!url) return std::unexpected(url.error());
  auto events = api::resolve_events(f.events);
  if (!events) return std::unexpected(events.error());
  if (f.show_secret && !f.secret_out.empty()) {
    return fail(ErrorKind::usage, "--secret-out and --show-secret do not go together", "choose one");
  }
  auto secrets = load_secrets(f.secrets, console);
  if (!secrets) return std::unexpected(secrets.error());
  auto api = open_api(f.api, context);
  if (!api) return std::unexpected(api.error());

  const auto checked = preflight(context, f, *url, *secrets);
  if (checked.failed > 0) {
    if (!f.force) {
      return fail(ErrorKind::check_failed,
                  fmt::format("the endpoint failed the preflight ({} failed check{}); nothing was registered",
                              checked.failed, checked.failed == 1 ? "" : "s"),
                  fmt::format("fix what is listed above ('ctg check {}' shows every check), or pass --force",
                              url->str()));
    }
    console.warn("registering despite the failed preflight (--force)");
  }

  auto existing = list_webhooks(**api);
  if (!existing) return std::unexpected(existing.error());
  const auto plan = api::plan_registration(*existing, {.url = url->str(), .events = *events, .description = f.description});

  ordered_json report{{"action", ""},
                      {"dry_run", f.dry_run},
                      {"preflight", {{"verdict", checked.verdict}, {"failed", checked.failed}, {"warnings", checked.warnings}}}};
  std::optional<api::Webhook> result;
  if (plan.action == api::Action::none) {
    report["action"] = "unchanged";
    result = plan.existing;
    if (!context.global.json) console.data_line(fmt::format("already registered: {}", describe(*plan.existing)));
  } else if (f.dry_run) {
    report["action"] = plan.action == api::Action::create ? "would_create" : "would_update";
    report["changes"] = changes_json(plan);
    report["request"] = ordered_json(plan.body());
    if (plan.existing) report["webhook"] = api::to_json(*plan.existing);
    if (!context.global.json) {
      if (plan.action == api::Action::create) {
        console.data_line(fmt::format("would create: {} (events: {}{})", plan.desired.url,
                                      api::events_text(plan.desired.events),
                                      plan.desired.description ? "; description: " + *plan.desired.description : ""));
      } else {
        console.data_line(fmt::format("would update {} {}:", plan.existing->id, plan.existing->url));
        for (const auto& c : plan.changes) console.data_line(fmt::format("  {}: {} -> {}", c.field, c.from, c.to));
      }
      console.info("dry run: nothing was written");
    }
  } else if (plan.action == api::Action::create) {
    auto created = create(**api, plan, f.api.retries, console);
    if (!created) return std::unexpected(created.error());
    result = std::move(*created);
    report["action"] = "created";
  } else {
    auto updated = (*api)->call({.method = "PATCH", .path = "/webhooks/" + plan.existing->id, .body = plan.body()});
    if (!updated) return std::unexpected(updated.error().error);
    auto webhook = api::parse_webhook(*updated);
    if (!webhook) return std::unexpected(webhook.error());
    result = std::move(*webhook);
    report["action"] = "updated";
    report["changes"] = changes_json(plan);
  }

  if (result) {
    report["webhook"] = api::to_json(*result);
    const auto& secret = result->secret;
    if (secret && !f.show_secret) console.add_secret(*secret);
    if (!context.global.json && (plan.action != api::Action::none)) {
      console.data_line(fmt::format("{}: {}", report["action"].get<std::string>(), describe(*result)));
      if (plan.action == api::Action::update) {
        for (const auto& c : plan.changes) console.data_line(fmt::format("  {}: {} -> {}", c.field, c.from, c.to));
      }
    }
    if (secret) {
      if (!f.secret_out.empty()) {
        if (auto written = file::write_private(f.secret_out, *secret + "\n", 0600); !written) {
          return fail(ErrorKind::io,
                      fmt::format("the endpoint is registered ({}), but its signing secret could not be written: {}",
                                  result->id, written.error().message),
                      fmt::format("find the secret in the Console ({})", api::k_console_url));
        }
        report["secret_file"] = f.secret_out;
        console.info(fmt::format("signing secret written to {} (mode 0600)", f.secret_out));
      } else if (f.show_secret) {
        report["secret"] = *secret;
        if (!context.global.json) console.data_line(fmt::format("secret: {}", *secret));
      } else {
        console.warn(fmt::format("the API returned the endpoint's signing secret; it was not shown (next time pass "
                                 "--secret-out FILE or --show-secret); the Console ({}) shows it",
                                 api::k_console_url));
      }
    }
  }
  if (context.global.json) console.data_json(report);
  return ExitCode::ok;
}

}  // namespace

Run register_run(std::shared_ptr<RegisterFlags> flags) {
  return [flags](Context& context) { return run_register(context, *flags); };
}

}  // namespace ctg::app
