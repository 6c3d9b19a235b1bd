#include "listen_session.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/listen/config.hpp"
#include "ctg/output/listen_renderer.hpp"
#include "ctg/store/journal.hpp"
#include "ctg/tls/certificate.hpp"
#include "paths.hpp"
#include "secrets.hpp"

namespace ctg::app {

namespace {

// How long, after SIGINT/SIGTERM, requests in flight may take to finish. Clients still sending
// their headers, or idle on a keep-alive connection, would otherwise hold the exit for as long as
// they please (httplib waits for every connection to end).
constexpr std::chrono::seconds k_stop_grace{2};

// Blocks SIGINT and SIGTERM in every thread started after this (they inherit the mask); one
// watcher thread takes them with sigtimedwait and stops the receiver. If the receiver has not
// stopped within k_stop_grace, `give_up` runs on the watcher thread (and does not return).
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGINT);
    sigaddset(&m_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &m_set, &m_previous);
  }
  ~SignalWatcher() {
    stopped();
    if (m_thread.joinable()) m_thread.join();
    pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
  }
  void start(listen::Receiver& receiver, std::function<void()> give_up) {
    m_thread = std::thread([this, &receiver, give_up = std::move(give_up)] {
      const timespec tick{0, 100'000'000};
      while (!m_done) {
        if (sigtimedwait(&m_set, nullptr, &tick) > 0) {
          m_interrupted = true;
          receiver.stop();
          std::unique_lock lock(m_mutex);
          if (!m_cv.wait_for(lock, k_stop_grace, [this] { return m_done.load(); })) {
            lock.unlock();
            give_up();
          }
          return;
        }
      }
    });
  }
  // The receiver has stopped serving.
  void stopped() {
    {
      std::lock_guard lock(m_mutex);
      m_done = true;
    }
    m_cv.notify_all();
  }
  bool interrupted() const { return m_interrupted; }

 private:
  sigset_t m_set{};
  sigset_t m_previous{};
  std::atomic<bool> m_done{false};
  std::atomic<bool> m_interrupted{false};
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::thread m_thread;
};

// --no-store: a journal in a private temporary folder, removed at exit.
struct TemporaryStore {
  std::string dir;
  ~TemporaryStore() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

Result<ExitCode> run_listen_session(Context& context, ListenSettings& s) {
  SignalWatcher signals;  // first: every thread below inherits the blocked mask
  ::signal(SIGPIPE, SIG_IGN);

  TemporaryStore temporary;
  if (s.no_store) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ctg-listen-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return fail(ErrorKind::io, "cannot create a temporary journal folder");
    temporary.dir = pattern;
    s.store = pattern + "/events.db";
  }
  auto journal = store::Journal::open(s.store);
  if (!journal) return std::unexpected(journal.error());

  output::ReadyInfo ready;
  if (s.tls && s.receiver.cert_file.empty() && s.receiver.key_file.empty()) {
    auto local = tls::ensure_local_certificate(state_dir() + "/tls", unix_now());
    if (!local) return std::unexpected(local.error());
    s.receiver.cert_file = local->cert_file;
    s.receiver.key_file = local->key_file;
    ready.tls_generated = local->created;
  } else if (s.tls || !s.receiver.cert_file.empty()) {
    if (s.receiver.cert_file.empty() || s.receiver.key_file.empty()) {
      return fail(ErrorKind::usage, "--cert and --key go together");
    }
  }
  if (!s.receiver.cert_file.empty()) {
    auto pem = file::read(s.receiver.cert_file);
    if (!pem) return std::unexpected(pem.error());
    auto fingerprint = tls::fingerprint_sha256(*pem);
    if (!fingerprint) return std::unexpected(fingerprint.error());
    ready.tls_fingerprint = *fingerprint;
    ready.tls_cert_file = s.receiver.cert_file;
  }

  output::ListenRenderer renderer(context.console,
                                  {.json = context.global.json,
                                   .print_body = s.print_body,
                                   .verbose = context.global.verbose > 0});
  if (s.receiver.policy.secrets.empty()) {
    context.console.warn(
        "no webhook secret: every delivery is accepted and marked unverified (set CONTIGUITY_WEBHOOK_SECRET or "
        "--secret-file)");
  }

  std::unique_ptr<listen::Forwarder> forwarder;
  if (!s.forwarder.targets.empty()) {
    auto created = listen::Forwarder::create(**journal, s.forwarder, renderer);
    if (!created) return std::unexpected(created.error());
    forwarder = std::move(*created);
  }
  s.receiver.targets = s.forwarder.targets;
  auto receiver = listen::Receiver::create(s.receiver, **journal, forwarder.get(), renderer);
  if (!receiver) return std::unexpected(receiver.error());
  if (auto bound = (*receiver)->bind(); !bound) return std::unexpected(bound.error());

  ready.url = (*receiver)->url();
  ready.store = s.no_store ? "" : (*journal)->path();
  ready.verifying = !s.receiver.policy.secrets.empty();
  ready.secrets = s.receiver.policy.secrets.size();
  for (const auto& target : s.forwarder.targets) {
    ready.targets.push_back(target.events.empty() ? target.url
                                                  : fmt::format("{} ({})", target.url, fmt::join(target.events, ",")));
  }
  if (!s.ready_file.empty()) {
    if (auto written = file::write_private(s.ready_file, ready.url + "\n", 0644); !written) {
      return std::unexpected(written.error());
    }
  }
  renderer.on_ready(ready);
  if (forwarder) forwarder->start();
  const auto pending_forwards = [&] {
    std::int64_t pending = 0;
    for (const auto& target : s.forwarder.targets) {
      if (auto n = (*journal)->pending_count(target.url); n) pending += *n;
    }
    return pending;
  };
  signals.start(**receiver, [&] {
    // Everything acknowledged is committed already (the journal commits before the answer); what
    // is cut off here was never answered, and forwards in flight stay pending for the next start.
    (*journal)->flush();
    context.console.warn(fmt::format("connections still open {} s after the signal were cut off",
                                     k_stop_grace.count()));
    renderer.on_stopped(pending_forwards());
    std::fflush(nullptr);
    std::_Exit(static_cast<int>(ExitCode::interrupted));
  });

  auto served = (*receiver)->run();
  signals.stopped();
  if (forwarder) forwarder->stop();
  (*journal)->flush();
  const std::int64_t pending = pending_forwards();
  receiver->reset();  // joins the serving threads and drains the display
  renderer.on_stopped(pending);
  if (!served) return std::unexpected(served.error());
  return signals.interrupted() ? ExitCode::interrupted : ExitCode::ok;
}

bool given(const CLI::App& cmd, const char* name) {
  const auto* option = cmd.get_option(name);
  return option->count() > 0 || (!option->get_envname().empty() && std::getenv(option->get_envname().c_str()));
}

// Applies the config file where neither a flag nor the environment said anything.
Result<void> apply_config(const CLI::App& cmd, ListenFlags& f) {
  std::string path = f.config_file;
  if (path.empty()) {
    path = config_dir() + "/config.json";
    if (!std::filesystem::exists(path)) return {};
  }
  auto text = file::read(path);
  if (!text) return std::unexpected(text.error());
  auto config = listen::parse_listen_config(*text, path);
  if (!config) return std::unexpected(config.error());
  auto& s = f.settings;
  if (config->host && !given(cmd, "--host")) s.receiver.host = *config->host;
  if (config->port && !given(cmd, "--port")) s.receiver.port = *config->port;
  if (config->path && !given(cmd, "--path")) s.receiver.policy.path = *config->path;
  if (config->tolerance && !given(cmd, "--tolerance")) s.receiver.policy.tolerance_seconds = *config->tolerance;
  if (config->max_body && !given(cmd, "--max-body")) s.receiver.policy.max_body = *config->max_body;
  if (config->max_buffered && !given(cmd, "--max-buffered")) s.receiver.max_buffered = *config->max_buffered;
  if (config->read_timeout && !given(cmd, "--read-timeout")) f.read_timeout_seconds = *config->read_timeout;
  if (config->max_attempts && !given(cmd, "--max-attempts")) s.forwarder.retry.max_attempts = *config->max_attempts;
  if (!config->events.empty() && !given(cmd, "--events")) s.receiver.event_filter = config->events;
  if (!config->forward.empty() && f.forward_specs.empty()) s.forwarder.targets = config->forward;
  return {};
}

Result<ExitCode> run_listen(Context& context, ListenFlags& f, const CLI::App& cmd) {
  auto& s = f.settings;
  s.receiver.event_filter = listen::parse_event_list(f.events);
  for (const auto& spec : f.forward_specs) {
    auto target = listen::parse_forward_spec(spec);
    if (!target) return std::unexpected(target.error());
    s.forwarder.targets.push_back(std::move(*target));
  }
  if (auto applied = apply_config(cmd, f); !applied) return std::unexpected(applied.error());
  s.receiver.read_timeout = std::chrono::seconds(f.read_timeout_seconds);
  for (const auto& spec : f.header_specs) {
    auto header = listen::parse_header_spec(spec);
    if (!header) return std::unexpected(header.error());
    for (auto& target : s.forwarder.targets) target.headers.push_back(*header);
  }
  if (s.receiver.port < 0 || s.receiver.port > 65535) {
    return fail(ErrorKind::usage, fmt::format("--port must be from 0 to 65535, got {}", s.receiver.port));
  }
  if (!s.receiver.policy.path.starts_with('/')) {
    return fail(ErrorKind::usage, fmt::format("--path must start with '/', got \"{}\"", s.receiver.policy.path));
  }
  if (s.receiver.policy.tolerance_seconds < 0) return fail(ErrorKind::usage, "--tolerance must be 0 or more seconds");
  if (s.forwarder.retry.max_attempts < 1) return fail(ErrorKind::usage, "--max-attempts must be at least 1");
  auto secrets = load_secrets(f.secrets, context.console);
  if (!secrets) return std::unexpected(secrets.error());
  s.receiver.policy.secrets = std::move(*secrets);
  if (s.store.empty()) s.store = default_store_path();
  return run_listen_session(context, s);
}

}  // namespace

Run listen_run(std::shared_ptr<ListenFlags> flags, const CLI::App& command) {
  return [flags, &command](Context& context) { return run_listen(context, *flags, command); };
}

}  // namespace ctg::app
