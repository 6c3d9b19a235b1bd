// ctg::api — where the Contiguity API token comes from, and the stored credentials of `ctg login`.
// Network-free: the front-end `ctg` links it for login and logout.
//
// Order (first found wins): --token-file, CONTIGUITY_API_KEY, CONTIGUITY_TOKEN (the SDKs' order),
// then the credentials `ctg login` stored in $XDG_CONFIG_HOME/ctg/credentials (mode 0600). The
// credentials file is JSON: {"token": "contiguity_sk_..."}. A token is never part of any message
// these functions return.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ctg/core/error.hpp"

namespace ctg::api {

inline constexpr const char* k_api_key_env = "CONTIGUITY_API_KEY";
inline constexpr const char* k_token_env = "CONTIGUITY_TOKEN";

// $XDG_CONFIG_HOME/ctg/credentials, else $HOME/.config/ctg/credentials (a relative
// XDG_CONFIG_HOME is ignored, as the XDG spec says).
std::string credentials_path(const char* xdg_config_home, const char* home);

struct Token {
  std::string value;
  std::string source;  // where it came from, for messages: "--token-file t.txt", "CONTIGUITY_API_KEY",
                       // "CONTIGUITY_TOKEN", "the stored credentials (~/.config/ctg/credentials)"
};

// A token as typed or read: surrounding whitespace (a trailing newline) removed. Errors (usage):
// "the API token is empty", "the API token holds whitespace or control characters".
Result<std::string> clean_token(std::string_view raw, std::string_view source);

// Looks for a token in the order above. `env` reads an environment variable (std::getenv in
// production). Returns nullopt when there is none anywhere. Errors: an unreadable or empty
// --token-file (io / usage), a credentials file that is not what `ctg login` writes (usage, naming
// the file and saying to run `ctg login` again).
Result<std::optional<Token>> find_token(const std::string& token_file,
                                        const std::function<const char*(const char*)>& env,
                                        const std::string& credentials_file);

// Writes {"token": ...} to `path` atomically with mode 0600 (parent folders 0700).
Result<void> store_token(const std::string& path, std::string_view token);

// Removes the stored credentials. Returns false when there were none.
Result<bool> remove_token(const std::string& path);

}  // namespace ctg::api
