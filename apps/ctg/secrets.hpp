// apps/ctg — where webhook secrets come from (design.md "Secrets"): --secret-file (one secret a
// line; repeatable), --secret (repeatable; warns that argv is visible to other processes), else
// CONTIGUITY_WEBHOOK_SECRET (several may be separated by commas, for rotation). Every secret
// loaded is registered with the console for redaction.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ctg/core/error.hpp"
#include "ctg/output/console.hpp"

namespace ctg::app {

struct SecretFlags {
  std::vector<std::string> files;
  std::vector<std::string> values;
};

inline constexpr const char* k_secret_env = "CONTIGUITY_WEBHOOK_SECRET";

void add_secret_flags(CLI::App& command, SecretFlags& flags);

// The secrets in order of preference (the first signs). Empty when none is configured.
// Errors: an unreadable or empty --secret-file (io / usage).
Result<std::vector<std::string>> load_secrets(const SecretFlags& flags, output::Console& console);

}  // namespace ctg::app
