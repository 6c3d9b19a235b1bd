#include "secrets.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"

namespace ctg::app {

void add_secret_flags(CLI::App& command, SecretFlags& flags) {
  command.add_option("--secret-file", flags.files, "File holding the webhook secret (one per line; repeatable)")
      ->type_name("FILE");
  command.add_option("--secret", flags.values,
                     "Webhook secret (repeatable; visible to other processes: prefer the environment "
                     "or --secret-file)")
      ->type_name("SECRET");
}

Result<std::vector<std::string>> load_secrets(const SecretFlags& flags, output::Console& console) {
  std::vector<std::string> secrets;
  for (const auto& path : flags.files) {
    auto content = file::read(path);
    if (!content) return std::unexpected(content.error());
    std::size_t found = 0;
    for (auto line : text::split(*content, '\n')) {
      const auto secret = text::trim(line);
      if (secret.empty() || secret.starts_with('#')) continue;
      secrets.emplace_back(secret);
      ++found;
    }
    if (found == 0) return fail(ErrorKind::usage, fmt::format("secret file {} holds no secret", path));
  }
  for (const auto& value : flags.values) {
    if (value.empty()) return fail(ErrorKind::usage, "--secret is empty");
    secrets.push_back(value);
  }
  if (!flags.values.empty()) {
    console.warn(
        "a secret given with --secret is visible to other processes on this machine; prefer "
        "CONTIGUITY_WEBHOOK_SECRET or --secret-file");
  }
  if (secrets.empty()) {
    if (const char* env = std::getenv(k_secret_env); env != nullptr) {
      for (auto part : text::split(env, ',')) {
        const auto secret = text::trim(part);
        if (!secret.empty()) secrets.emplace_back(secret);
      }
    }
  }
  for (const auto& secret : secrets) console.add_secret(secret);
  return secrets;
}

}  // namespace ctg::app
