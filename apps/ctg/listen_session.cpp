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
#include "ctg/output/listen_renderer.hpp"
#include "ctg/store/journal.hpp"
#include "ctg/tls/certificate.hpp"
#include "paths.hpp"

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

}  // namespace

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

}  // namespace ctg::app
