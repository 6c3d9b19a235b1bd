// ctg register, ctg webhooks list|delete — their flags; register_run.cpp and webhooks_run.cpp (in
// ctg-net) talk to the API.
#include "register_command.hpp"

namespace ctg::app {

namespace {

constexpr const char* k_api_footer =
    "The API token comes from --token-file, CONTIGUITY_API_KEY, CONTIGUITY_TOKEN or 'ctg login', in that\n"
    "order, and is never printed. The API is https://api.contiguity.com unless --api-base or\n"
    "CONTIGUITY_API_BASE says otherwise. 429 answers are waited out as Retry-After says (at most 60 s),\n"
    "5xx answers and timeouts retried with backoff (--retries); a 404 or 405 on /webhooks means the API\n"
    "does not offer registration yet: use https://console.contiguity.com.\n";

}  // namespace

void add_register_command(CLI::App& root, Registry& registry) {
  auto f = std::make_shared<RegisterFlags>();
  auto* cmd = root.add_subcommand("register", "Register (upsert) a webhook endpoint, after proving it works");
  cmd->add_option("url", f->url, "The endpoint (https://...)")->required()->type_name("URL");
  cmd->add_option("--events", f->events,
                  "Event types to receive, comma-separated, globs allowed (text.*); default: all")
      ->type_name("TYPES")
      ->delimiter(',');
  cmd->add_option("--description", f->description, "A description shown in the Console")->type_name("TEXT");
  cmd->add_flag("--dry-run", f->dry_run, "Show what would change (create, update with a diff, nothing); write nothing");
  cmd->add_flag("--force", f->force, "Register even when the preflight check fails");
  cmd->add_option("--secret-out", f->secret_out, "Write the signing secret the API returns to FILE (mode 0600)")
      ->type_name("FILE");
  cmd->add_flag("--show-secret", f->show_secret, "Print the signing secret the API returns on stdout");
  add_secret_flags(*cmd, f->secrets);
  cmd->add_option("--max-latency", f->max_latency_ms, "Preflight latency budget in ms (default 2000)")
      ->type_name("MS")
      ->check(CLI::PositiveNumber);
  add_api_flags(*cmd, f->api);
  cmd->footer(std::string(
                  "Steps: 1. preflight: the 'ctg check' verdict for URL (its signed sample must get a 2xx when a\n"
                  "webhook secret is set); a failure stops here unless --force. 2. upsert by URL: absent, create;\n"
                  "registered with other events (or, with --description, another description), update; identical,\n"
                  "nothing to do (exit 0). 3. print the endpoint. Re-running it in a deploy script is safe.\n") +
              k_api_footer +
              "Exit status: 0 registered or already so, 1 the preflight failed, 2 usage, 3 the API could not be\n"
              "used (no registration offered, token refused, unreachable, rate limited too long).\n"
              "Examples:\n"
              "  ctg register https://api.example.com/hooks/contiguity --events 'text.*,otp.*' --secret-out secret.txt\n"
              "  ctg register https://api.example.com/hooks/contiguity --dry-run\n"
              "  CONTIGUITY_WEBHOOK_SECRET=whsec_... ctg register https://api.example.com/hooks --json");
  registry.add(cmd, register_run(f));

  auto* webhooks = root.add_subcommand("webhooks", "List and delete registered webhook endpoints");
  webhooks->require_subcommand(1);
  auto list_flags = std::make_shared<WebhooksFlags>();
  auto* list = webhooks->add_subcommand("list", "List the registered endpoints (table, or --json)");
  add_api_flags(*list, list_flags->api);
  list->footer(std::string(k_api_footer) + "Examples:\n  ctg webhooks list\n  ctg webhooks list --json | jq -r '.[].url'");
  registry.add(list, webhooks_list_run(list_flags));

  auto delete_flags = std::make_shared<WebhooksFlags>();
  auto* remove = webhooks->add_subcommand("delete", "Delete a registered endpoint by id or URL");
  remove->add_option("target", delete_flags->target, "The endpoint's id (wh_...) or URL")->required()->type_name("ID|URL");
  remove->add_flag("-y,--yes", delete_flags->yes, "Do not ask (needed when not on a terminal)");
  add_api_flags(*remove, delete_flags->api);
  remove->footer(std::string(k_api_footer) +
                 "On a terminal it asks before deleting; elsewhere it needs --yes.\n"
                 "Examples:\n  ctg webhooks delete wh_123\n  ctg webhooks delete https://old.example.com/hooks --yes");
  registry.add(remove, webhooks_delete_run(delete_flags));
}

}  // namespace ctg::app
