// ctg fixtures — the embedded sample payloads: list them, show one as a fresh event.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "ctg/core/clock.hpp"
#include "ctg/events/catalog.hpp"
#include "ctg/events/fixtures.hpp"

namespace ctg::app {

namespace {

struct ShowOptions {
  std::string type;
  bool raw = false;
  std::vector<std::string> sets;
};

Result<ExitCode> run_list(Context& context) {
  const auto all = events::fixtures();
  if (context.global.json) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& f : all) {
      out.push_back({{"type", f.type->name},
                     {"generation", events::to_string(f.type->generation)},
                     {"description", f.type->description},
                     {"api_version", f.type->api_version},
                     {"replaced_by", f.type->replaced_by.empty() ? nlohmann::ordered_json(nullptr)
                                                                 : nlohmann::ordered_json(f.type->replaced_by)}});
    }
    context.console.data_json(out, 2);
    return ExitCode::ok;
  }
  std::size_t width = 0;
  for (const auto& f : all) width = std::max(width, f.type->name.size());
  auto last = events::Generation::current;
  for (const auto& f : all) {
    if (f.type->generation != last) {
      context.console.data_line("");
      last = f.type->generation;
    }
    // Older names and the legacy format say so in their descriptions; they are dimmed on a terminal.
    const auto tone = f.type->generation == events::Generation::current ? output::Tone::plain : output::Tone::dim;
    context.console.data_line(
        fmt::format("{:<{}}  {}", f.type->name, width, context.console.paint_out(tone, f.type->description)));
  }
  return ExitCode::ok;
}

Result<ExitCode> run_show(Context& context, const ShowOptions& options) {
  auto fixture = events::find_fixture(options.type);
  if (!fixture) return std::unexpected(fixture.error());
  std::vector<events::Override> overrides;
  for (const auto& text : options.sets) {
    auto parsed = events::parse_override(text);
    if (!parsed) return std::unexpected(parsed.error());
    overrides.push_back(std::move(*parsed));
  }
  if (options.raw && overrides.empty()) {
    context.console.data(fixture->content);
    return ExitCode::ok;
  }
  events::InstantiateOptions instantiate;
  if (!options.raw) {
    instantiate.id = events::new_event_id();
    instantiate.timestamp = unix_now();
  }
  instantiate.overrides = std::move(overrides);
  auto body = events::instantiate(*fixture, instantiate);
  if (!body) return std::unexpected(body.error());
  context.console.data_line(*body);
  return ExitCode::ok;
}

}  // namespace

void add_fixtures_command(CLI::App& root, Registry& registry) {
  auto* cmd = root.add_subcommand("fixtures", "Sample payloads for every event type");
  cmd->require_subcommand(0, 1);

  auto* list = cmd->add_subcommand("list", "List the event types with a sample payload");
  registry.add(list, [](Context& context) { return run_list(context); });

  auto options = std::make_shared<ShowOptions>();
  auto* show = cmd->add_subcommand("show", "Print a sample event, with a fresh id and timestamp");
  show->add_option("type", options->type, "Event type, e.g. text.incoming.sms")->required()->type_name("TYPE");
  show->add_flag("--raw", options->raw, "The fixture as shipped: no fresh id or timestamp");
  show->add_option("--set", options->sets,
                   "Override a field by dot path: --set data.body=\"Hi\" --set 'data.attachments=[]' "
                   "(JSON when it parses as JSON, else a string; repeatable)")
      ->type_name("PATH=VALUE");
  show->footer(
      "Examples:\n"
      "  ctg fixtures show text.incoming.sms --set data.body='Hi there'\n"
      "  ctg fixtures show email.incoming | ctg sign");
  registry.add(show, [options](Context& context) { return run_show(context, *options); });
}

}  // namespace ctg::app
