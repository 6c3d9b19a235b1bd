// ctg events — the journal of received deliveries: list, show, replay, to-fixture. Replay runs
// in events_replay.cpp (it needs the network).
#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "events_command.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"
#include "ctg/listen/delivery_text.hpp"
#include "ctg/output/journal_view.hpp"
#include "paths.hpp"

namespace ctg::app {

Result<std::unique_ptr<store::Journal>> open_journal(const EventsFlags& f) {
  const std::string path = f.store.empty() ? default_store_path() : f.store;
  if (!std::filesystem::exists(path)) {
    return fail(ErrorKind::usage, fmt::format("no journal at {}", path),
                "run ctg listen first, or point --store at its journal");
  }
  return store::Journal::open(path);
}


Result<store::Delivery> find_delivery(store::Journal& journal, const std::string& id) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  auto found = ec == std::errc() && ptr == id.data() + id.size() ? journal.find(n) : journal.find_by_event_id(id);
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    return fail(ErrorKind::usage, fmt::format("no delivery {} in {}", id, journal.path()),
                "ctg events list shows what the journal holds");
  }
  return std::move(**found);
}

namespace {

Result<ExitCode> run_list(Context& context, const EventsFlags& f) {
  auto journal = open_journal(f);
  if (!journal) return std::unexpected(journal.error());
  store::ListFilter filter;
  filter.limit = f.limit;
  if (!f.type.empty()) filter.type_glob = f.type;
  if (!f.status.empty()) filter.status = f.status;
  if (!f.since.empty()) {
    auto since = parse_since(f.since, unix_now() * 1000);
    if (!since) return std::unexpected(since.error());
    filter.since_ms = *since;
  }
  auto deliveries = (*journal)->list(filter);
  if (!deliveries) return std::unexpected(deliveries.error());
  output::JournalView view(context.console, **journal);
  context.global.json ? view.list_json(*deliveries) : view.list_table(*deliveries);
  return ExitCode::ok;
}

Result<ExitCode> run_show(Context& context, const EventsFlags& f) {
  auto journal = open_journal(f);
  if (!journal) return std::unexpected(journal.error());
  auto delivery = find_delivery(**journal, f.ids.front());
  if (!delivery) return std::unexpected(delivery.error());
  if (f.raw) {
    // Byte for byte for a pipe (ctg verify --request); on a terminal, made safe to look at.
    const std::string request = listen::to_http_request(*delivery);
    context.console.data(context.console.options().stdout_is_tty ? text::terminal_safe(request, text::LineBreaks::keep)
                                                                 : request);
    return ExitCode::ok;
  }
  output::JournalView view(context.console, **journal);
  context.global.json ? view.show_json(*delivery) : view.show_text(*delivery);
  return ExitCode::ok;
}

Result<ExitCode> run_to_fixture(Context& context, const EventsFlags& f) {
  auto journal = open_journal(f);
  if (!journal) return std::unexpected(journal.error());
  auto delivery = find_delivery(**journal, f.ids.front());
  if (!delivery) return std::unexpected(delivery.error());
  auto fixture = listen::to_fixture(*delivery);
  if (!fixture) return std::unexpected(fixture.error());
  if (f.output.empty()) {
    context.console.data(*fixture);
  } else {
    if (auto written = file::write_private(f.output, *fixture, 0644); !written) return std::unexpected(written.error());
    context.console.info(fmt::format("wrote {}", f.output));
  }
  return ExitCode::ok;
}

}  // namespace

void add_events_command(CLI::App& root, Registry& registry) {
  auto f = std::make_shared<EventsFlags>();
  auto* cmd = root.add_subcommand("events", "The journal of received deliveries: list, show, replay, to-fixture");
  cmd->add_option("--store", f->store, "Journal file (default $XDG_STATE_HOME/ctg/events.db)")
      ->type_name("PATH")
      ->envname("CTG_STORE");
  cmd->require_subcommand(0, 1);

  auto* list = cmd->add_subcommand("list", "List deliveries, newest first");
  list->add_option("--type", f->type, "Only these event types (glob: 'text.*')")->type_name("GLOB");
  list->add_option("--since", f->since, "Only since then: 15m, 2h, 7d, Unix seconds or ISO time")->type_name("TIME");
  list->add_option("--status", f->status,
                   "accepted, rejected, duplicate, 2xx, 4xx, 5xx, a status code, forward-failed or dead")
      ->type_name("STATUS");
  list->add_option("--limit", f->limit, "At most N rows (default 50)")->type_name("N");
  registry.add(list, [f](Context& c) { return run_list(c, *f); });

  auto* show = cmd->add_subcommand("show", "Show one delivery: headers, body, verification, every forward attempt");
  show->add_option("id", f->ids, "Journal id or event id (evt_...)")->required()->expected(1)->type_name("ID");
  show->add_flag("--raw", f->raw, "Print the request as received (HTTP text, for ctg verify --request)");
  registry.add(show, [f](Context& c) { return run_show(c, *f); });

  auto* replay = cmd->add_subcommand("replay", "Deliver journaled events again, byte for byte");
  replay->add_option("id", f->ids, "Journal ids or event ids")->type_name("ID");
  replay->add_option("--to", f->to, "Where to deliver (URL)")->required()->type_name("URL");
  replay->add_option("--type", f->type, "Every accepted delivery of these types (glob)")->type_name("GLOB");
  replay->add_option("--since", f->since, "Every accepted delivery since then")->type_name("TIME");
  replay->add_option("--limit", f->limit, "At most N deliveries by --type/--since (default 50)")->type_name("N");
  replay->add_flag("--resign", f->resign, "Sign afresh with the current secret and time");
  add_secret_flags(*replay, f->secrets);
  replay->add_option("-H,--header", f->headers, "Extra header 'Name: value' (repeatable)")->type_name("'K: V'");
  replay->add_flag("--insecure", f->client.insecure, "Do not verify the target's certificate");
  replay->add_option("--ca-file", f->client.ca_file, "Trust this CA bundle")->type_name("FILE");
  registry.add(replay, replay_run(f));

  auto* to_fixture = cmd->add_subcommand("to-fixture", "Turn a delivery into a fixture file for send-test");
  to_fixture->add_option("id", f->ids, "Journal id or event id")->required()->expected(1)->type_name("ID");
  to_fixture->add_option("-o,--output", f->output, "Write to FILE instead of stdout")->type_name("FILE");
  registry.add(to_fixture, [f](Context& c) { return run_to_fixture(c, *f); });
}

}  // namespace ctg::app
