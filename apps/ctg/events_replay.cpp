// ctg events replay — delivers journaled events again (network: linked into ctg-net only).
#include <algorithm>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/listen/config.hpp"
#include "ctg/listen/replay.hpp"
#include "ctg/net/url.hpp"
#include "ctg/output/journal_view.hpp"
#include "events_command.hpp"

namespace ctg::app {

namespace {

Result<ExitCode> run_replay(Context& context, EventsFlags& f) {
  auto url = net::parse_url(f.to);
  if (!url) return std::unexpected(url.error());
  if (f.ids.empty() && f.type.empty() && f.since.empty()) {
    return fail(ErrorKind::usage, "say what to replay: delivery ids, --type GLOB or --since TIME");
  }
  listen::ReplayOptions options;
  options.now = unix_now();
  if (f.resign) {
    auto secrets = load_secrets(f.secrets, context.console);
    if (!secrets) return std::unexpected(secrets.error());
    if (secrets->empty()) {
      return fail(ErrorKind::usage, "--resign needs a webhook secret",
                  fmt::format("set {} or pass --secret-file FILE", k_secret_env));
    }
    options.resign_secret = secrets->front();
  }
  for (const auto& spec : f.headers) {
    auto header = listen::parse_header_spec(spec);
    if (!header) return std::unexpected(header.error());
    options.extra_headers.push_back(std::move(*header));
  }
  auto journal = open_journal(f);
  if (!journal) return std::unexpected(journal.error());
  std::vector<store::Delivery> selected;
  for (const auto& id : f.ids) {
    auto delivery = find_delivery(**journal, id);
    if (!delivery) return std::unexpected(delivery.error());
    selected.push_back(std::move(*delivery));
  }
  if (!f.type.empty() || !f.since.empty()) {
    store::ListFilter filter{.status = std::string("accepted"), .limit = f.limit};
    if (!f.type.empty()) filter.type_glob = f.type;
    if (!f.since.empty()) {
      auto since = parse_since(f.since, unix_now() * 1000);
      if (!since) return std::unexpected(since.error());
      filter.since_ms = *since;
    }
    auto found = (*journal)->list(filter);
    if (!found) return std::unexpected(found.error());
    std::reverse(found->begin(), found->end());  // oldest first: replay in arrival order
    for (auto& d : *found) selected.push_back(std::move(d));
  }
  if (selected.empty()) return fail(ErrorKind::usage, "nothing in the journal matches");
  auto client = net::Client::create(*url, f.client);
  if (!client) return std::unexpected(client.error());
  output::JournalView view(context.console, **journal);
  std::size_t answered = 0, good = 0;
  for (const auto& delivery : selected) {
    const auto result = listen::replay(delivery, **client, url->target, options);
    view.replay_line(delivery, result, context.global.json);
    if (result.outcome) {
      ++answered;
      if (result.outcome->status >= 200 && result.outcome->status < 300) ++good;
    }
  }
  if (answered == 0) return fail(ErrorKind::network, fmt::format("{} could not be reached", url->origin()));
  return good == selected.size() ? ExitCode::ok : ExitCode::failed;
}

}  // namespace

Run replay_run(std::shared_ptr<EventsFlags> flags) {
  return [flags](Context& context) { return run_replay(context, *flags); };
}

}  // namespace ctg::app
