#include "ctg/api/credentials.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"

namespace ctg::api {

namespace {

constexpr const char* k_login_again = "run 'ctg login' again";

// Whitespace or a control character anywhere in a token is a paste gone wrong (two keys, a line
// break in the middle); sent as a header it would be rejected or, worse, split the header.
bool holds_whitespace_or_control(std::string_view token) {
  for (const char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return true;
  }
  return false;
}

std::string stored_source(const std::string& path) {
  return "the stored credentials (" + path + ")";
}

// The token `ctg login` stored at `path`. Every error says to log in again, the one fix for a file
// ctg wrote and something else changed. No message quotes the file: it holds the token.
Result<std::optional<Token>> read_stored(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::status(path, ec).type() == std::filesystem::file_type::not_found) return std::nullopt;
  auto content = file::read(path);
  if (!content) return fail(ErrorKind::usage, content.error().message, k_login_again);
  // Without exceptions: a parse error's what() quotes the bytes it choked on, the token among them.
  const auto doc = nlohmann::json::parse(*content, nullptr, false);
  if (doc.is_discarded()) {
    return fail(ErrorKind::usage, fmt::format("the stored credentials ({}) are not valid JSON", path), k_login_again);
  }
  if (!doc.is_object() || !doc.contains("token") || !doc["token"].is_string()) {
    return fail(ErrorKind::usage, fmt::format("the stored credentials ({}) hold no \"token\" string", path),
                k_login_again);
  }
  const auto source = stored_source(path);
  auto token = clean_token(doc["token"].get<std::string>(), source);
  if (!token) return fail(ErrorKind::usage, token.error().message, k_login_again);
  return Token{std::move(*token), source};
}

}  // namespace

std::string credentials_path(const char* xdg_config_home, const char* home) {
  // With no home at all: where apps/ctg's config_dir() points too.
  return file::xdg_file(xdg_config_home, home, ".config", "ctg/credentials", ".config/ctg/credentials");
}

Result<std::string> clean_token(std::string_view raw, std::string_view source) {
  const auto token = text::trim(raw);
  if (token.empty()) {
    return fail(ErrorKind::usage, fmt::format("the API token from {} is empty", source),
                "give the API key from the Contiguity console (it starts with contiguity_sk_)");
  }
  if (holds_whitespace_or_control(token)) {
    return fail(ErrorKind::usage, fmt::format("the API token from {} holds whitespace or control characters", source),
                "copy the API key again, as one word with no spaces or line breaks inside");
  }
  return std::string(token);
}

Result<std::optional<Token>> find_token(const std::string& token_file,
                                        const std::function<const char*(const char*)>& env,
                                        const std::string& credentials_file) {
  if (!token_file.empty()) {
    auto content = file::read(token_file);
    if (!content) return std::unexpected(content.error());
    auto source = "--token-file " + token_file;
    auto token = clean_token(*content, source);
    if (!token) return std::unexpected(token.error());
    return Token{std::move(*token), std::move(source)};
  }
  for (const char* name : {k_api_key_env, k_token_env}) {
    const char* value = env(name);
    if (value == nullptr || value[0] == '\0') continue;  // `export CONTIGUITY_API_KEY=` unsets it in effect
    auto token = clean_token(value, name);
    if (!token) return std::unexpected(token.error());
    return Token{std::move(*token), name};
  }
  return read_stored(credentials_file);
}

Result<void> store_token(const std::string& path, std::string_view token) {
  std::string content;
  try {
    content = nlohmann::json{{"token", std::string(token)}}.dump() + "\n";
  } catch (const nlohmann::json::type_error&) {  // bytes that are not UTF-8; what() would quote them
    return fail(ErrorKind::usage, "the API token is not UTF-8 text",
                "copy the API key again from the Contiguity console");
  }
  return file::write_private(path, content, 0600);
}

Result<bool> remove_token(const std::string& path) {
  std::error_code ec;
  const bool removed = std::filesystem::remove(path, ec);
  if (ec) return fail(ErrorKind::io, fmt::format("cannot remove {}: {}", path, ec.message()));
  return removed;
}

}  // namespace ctg::api
