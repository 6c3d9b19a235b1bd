// ctg webhooks list|delete — through the Contiguity API (network: linked into ctg-net only).
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/api/webhooks.hpp"
#include "ctg/core/text.hpp"
#include "register_command.hpp"

namespace ctg::app {

namespace {

using nlohmann::ordered_json;

std::string created_text(const std::optional<std::int64_t>& ms) {
  if (!ms) return "-";
  const std::time_t seconds = *ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min);
}

// Characters, not bytes: URLs and descriptions may hold UTF-8.
std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Columns padded to their widest cell; the last column is not padded.
std::vector<std::string> table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();  // an empty last cell
    lines.push_back(std::move(line));
  }
  return lines;
}

Result<ExitCode> run_list(Context& context, const WebhooksFlags& f) {
  auto api = open_api(f.api, context);
  if (!api) return std::unexpected(api.error());
  auto webhooks = list_webhooks(**api);
  if (!webhooks) return std::unexpected(webhooks.error());
  if (context.global.json) {
    auto out = ordered_json::array();
    for (const auto& w : *webhooks) out.push_back(api::to_json(w));
    context.console.data_json(out);
    return ExitCode::ok;
  }
  if (webhooks->empty()) {
    context.console.info("no webhook endpoints are registered ('ctg register URL' adds one)");
    return ExitCode::ok;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "CREATED", "EVENTS", "URL", "DESCRIPTION"}};
  for (const auto& w : *webhooks) {
    rows.push_back({w.id, created_text(w.created_at_ms), api::events_text(w.events), w.url, w.description});
  }
  for (const auto& line : table(rows)) context.console.data_line(line);
  return ExitCode::ok;
}

// Asks on the terminal; true only for "y" or "yes".
bool confirmed(const api::Webhook& w) {
  std::fputs(fmt::format("Delete {} ({})? [y/N] ", w.id, w.url).c_str(), stderr);
  std::fflush(stderr);
  char line[64] = {};
  if (std::fgets(line, sizeof line, stdin) == nullptr) return false;
  const auto answer = text::trim(line);
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

Result<ExitCode> run_delete(Context& context, const WebhooksFlags& f) {
  const bool interactive = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1;
  if (!f.yes && !interactive) {
    return fail(ErrorKind::usage, "ctg webhooks delete asks before deleting, and there is no terminal to ask on",
                "pass --yes to delete without asking");
  }
  auto api = open_api(f.api, context);
  if (!api) return std::unexpected(api.error());
  auto webhooks = list_webhooks(**api);
  if (!webhooks) return std::unexpected(webhooks.error());
  const bool by_url = f.target.find("://") != std::string::npos;
  const api::Webhook* found = by_url ? api::find_by_url(*webhooks, f.target) : api::find_by_id(*webhooks, f.target);
  if (found == nullptr) {
    return fail(ErrorKind::usage,
                fmt::format("no webhook endpoint {} {} is registered", by_url ? "with URL" : "with id", f.target),
                "run 'ctg webhooks list' for the registered endpoints");
  }
  const api::Webhook target = *found;
  if (!f.yes && !confirmed(target)) {
    context.console.info("not deleted");
    return ExitCode::failed;
  }
  auto deleted = (*api)->call({.method = "DELETE", .path = "/webhooks/" + target.id});
  if (!deleted) return std::unexpected(deleted.error().error);
  if (context.global.json) {
    context.console.data_json(ordered_json{{"deleted", true}, {"webhook", api::to_json(target)}});
  } else {
    context.console.data_line(fmt::format("deleted: {} {}", target.id, target.url));
  }
  return ExitCode::ok;
}

}  // namespace

Run webhooks_list_run(std::shared_ptr<WebhooksFlags> flags) {
  return [flags](Context& context) { return run_list(context, *flags); };
}

Run webhooks_delete_run(std::shared_ptr<WebhooksFlags> flags) {
  return [flags](Context& context) { return run_delete(context, *flags); };
}

}  // namespace ctg::app
