// ctg (the front-end) — the Run of every command that needs the network: exec ctg-net with the
// same command line. ctg-net sits next to ctg in a build tree, and in PREFIX/libexec/ctg once
// installed (as git keeps git-remote-https in libexec/git-core, for the same reason: the TLS and
// HTTP libraries cost milliseconds to load, and most commands never need them).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "check_command.hpp"
#include "events_command.hpp"
#include "listen_session.hpp"
#include "register_command.hpp"
#include "send_test_command.hpp"

namespace ctg::app {

namespace {

constexpr const char* k_network_binary = "ctg-net";

std::vector<std::filesystem::path> candidates() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto dir = self.parent_path();
  return {dir / k_network_binary, dir.parent_path() / "libexec" / "ctg" / k_network_binary};
}

Result<ExitCode> hand_over(Context& context) {
  const auto places = candidates();
  for (const auto& path : places) {
    if (::access(path.c_str(), X_OK) != 0) continue;
    std::fflush(nullptr);
    ::execv(path.c_str(), context.argv);
    return fail(ErrorKind::io, fmt::format("cannot run {}: {}", path.string(), std::strerror(errno)));
  }
  std::string looked;
  for (const auto& path : places) looked += (looked.empty() ? "" : ", ") + path.string();
  return fail(ErrorKind::io, fmt::format("this command needs {}, which is not installed next to ctg", k_network_binary),
              looked.empty() ? "reinstall ctg" : fmt::format("looked for {}; reinstall ctg (cmake --install)", looked));
}

}  // namespace

// The Runs keep the flags alive: CLI11 writes the parsed values into them.
Run listen_run(std::shared_ptr<ListenFlags> flags, const CLI::App&) {
  return [flags](Context& context) { return hand_over(context); };
}

Run replay_run(std::shared_ptr<EventsFlags> flags) {
  return [flags](Context& context) { return hand_over(context); };
}

Run send_test_run(std::shared_ptr<SendTestFlags> flags) {
  return [flags](Context& context) { return hand_over(context); };
}

Run check_run(std::shared_ptr<CheckFlags> flags) {
  return [flags](Context& context) { return hand_over(context); };
}

Run register_run(std::shared_ptr<RegisterFlags> flags) {
  return [flags](Context& context) { return hand_over(context); };
}

Run webhooks_list_run(std::shared_ptr<WebhooksFlags> flags) {
  return [flags](Context& context) { return hand_over(context); };
}

Run webhooks_delete_run(std::shared_ptr<WebhooksFlags> flags) {
  return [flags](Context& context) { return hand_over(context); };
}

}  // namespace ctg::app
