#include "api_flags.hpp"

namespace ctg::app {

void add_api_flags(CLI::App& command, ApiFlags& flags) {
  flags.user_agent = "ctg/" CTG_VERSION;
  command.add_option("--api-base", flags.api_base, "Contiguity API base URL (default https://api.contiguity.com)")
      ->envname(api::k_base_env)
      ->type_name("URL");
  command.add_option("--token-file", flags.token_file,
                     "File holding the API token (else CONTIGUITY_API_KEY, CONTIGUITY_TOKEN, 'ctg login')")
      ->type_name("FILE");
  command.add_option("--ca-file", flags.ca_file, "Trust this CA bundle instead of the system's")->type_name("FILE");
  command.add_option("--timeout", flags.timeout_seconds, "Give up on each API answer after SECONDS (default 10)")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  command.add_option("--retries", flags.retries, "Retries on 429, 5xx and timeouts (default 3)")
      ->type_name("N")
      ->check(CLI::Range(0, 10));
}

}  // namespace ctg::app
