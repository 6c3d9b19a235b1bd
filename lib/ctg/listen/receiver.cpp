#include "ctg/listen/receiver.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <pthread.h>
#include <sched.h>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/text.hpp"
#include "ctg/net/http_server.hpp"
#include "ctg/net/request_capture.hpp"
#include "ctg/net/socket.hpp"
#include "ctg/signing/signature.hpp"

namespace ctg::listen {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The work a report asks of the display thread besides showing it: what is slow is done there, off
// the request path.
struct DisplayWork {
  bool describe = false;  // the body is a valid event: parse, summarize, check it against the catalog
  bool diagnose = false;  // the signature did not match: verify again with diagnoses, for the hints
  std::string full_body;  // the whole body, when the journal kept only a prefix of it (diagnose)
};

// Hands reports to the observer on one thread, in arrival order, off the request path. The thread
// runs at the lowest priority there is (SCHED_IDLE): the display uses CPU time nothing else wants,
// so on a machine short of cores it never delays an answer, and it catches up in the gaps. What
// waits for it is bounded (`backlog_limit` bytes of requests); beyond, deliveries are only counted.
// Stopping (the destructor) gives it k_stop_grace to show what is queued; what is left then is
// counted (on_skipped) instead of shown, so that a stop never waits for a long backlog.
class DisplayQueue {
 public:
  DisplayQueue(ReceiverObserver& observer, std::size_t backlog_limit, const ReceiverPolicy& policy)
      : m_observer(observer), m_backlog_limit(backlog_limit), m_policy(policy), m_thread([this] { work(); }) {}
  ~DisplayQueue() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
      m_stop_deadline = std::chrono::steady_clock::now() + k_stop_grace;
    }
    m_hurry.store(true);
    m_cv.notify_one();
    m_thread.join();
  }
  void push(DeliveryReport report, DisplayWork work) {
    const std::size_t bytes = weight(report) + work.full_body.size();
    bool wake = false;
    {
      std::lock_guard lock(m_mutex);
      wake = !m_napping && m_reports.empty() && m_errors.empty();  // else it is awake or will look soon
      if (m_backlog + bytes > m_backlog_limit && !m_reports.empty()) {
        if (m_reports.back().skipped == 0) m_reports.push_back({});
        ++m_reports.back().skipped;
      } else {
        m_backlog += bytes;
        m_reports.push_back({std::move(report), std::move(work), 0, bytes});
      }
    }
    if (wake) m_cv.notify_one();
  }
  void push_error(Error error) {
    bool wake = false;
    {
      std::lock_guard lock(m_mutex);
      wake = !m_napping && m_reports.empty() && m_errors.empty();
      m_errors.push_back(std::move(error));
    }
    if (wake) m_cv.notify_one();
  }

 private:
  // Under a stream of deliveries the thread looks for more every k_nap instead of being woken for
  // each batch the journal commits: a wake-up costs more than the lines it would show sooner.
  static constexpr std::chrono::milliseconds k_nap{10};
  static constexpr std::size_t k_report_overhead = 512;  // the report's own fields, roughly
  static constexpr std::chrono::milliseconds k_stop_grace{500};

  struct Queued {
    DeliveryReport report;
    DisplayWork work;
    std::int64_t skipped = 0;  // > 0: a count of deliveries left out here, and no report
    std::size_t bytes = 0;     // what it adds to the backlog
  };

  static std::size_t weight(const DeliveryReport& report) {
    std::size_t bytes = k_report_overhead + report.delivery.body.size() + report.delivery.path.size();
    for (const auto& [name, value] : report.delivery.headers) bytes += name.size() + value.size();
    return bytes;
  }

  bool queued() const { return !m_reports.empty() || !m_errors.empty(); }

  // Past the stop's grace: what is still queued is counted, not shown.
  bool out_of_time() const {
    return m_hurry.load(std::memory_order_acquire) && std::chrono::steady_clock::now() >= m_stop_deadline;
  }

  void describe(Queued& queued) const {
    auto& report = queued.report;
    if (queued.work.describe) {
      if (auto event = events::parse_event(report.delivery.body)) {
        report.summary = events::summarize(*event);
        report.schema_issues = events::strict_issues(*event);
      }
    }
    if (queued.work.diagnose) {
      const auto& body = queued.work.full_body.empty() ? report.delivery.body : queued.work.full_body;
      std::string_view header;
      for (const auto& [name, value] : report.delivery.headers) {
        if (net::header_name_equals(name, signing::k_header_name)) {
          header = value;
          break;
        }
      }
      // As the request was judged: against the time it arrived.
      const auto verification = signing::verify(header, m_policy.secrets, body, report.delivery.received_at_ms / 1000,
                                                {.tolerance_seconds = m_policy.tolerance_seconds});
      report.hints = verification.hints;
    }
  }

  void work() {
    pthread_setname_np(pthread_self(), "ctg-display");
    const sched_param lowest{};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &lowest);  // if refused: normal priority, still correct
    std::unique_lock lock(m_mutex);
    bool busy = false;
    while (true) {
      if (busy) {
        m_napping = true;
        m_cv.wait_for(lock, k_nap, [this] { return m_stopping; });
        m_napping = false;
      } else {
        m_cv.wait(lock, [this] { return m_stopping || queued(); });
      }
      if (!queued()) {
        if (m_stopping) return;
        busy = false;
        continue;
      }
      auto reports = std::move(m_reports);
      auto errors = std::move(m_errors);
      m_reports.clear();
      m_errors.clear();
      lock.unlock();
      if (m_stopping && !m_raised) {
        // Stopping: the loops are idle, and the backlog is all that keeps the process.
        m_raised = true;
        const sched_param normal{};
        pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);  // refused without privilege: no matter
      }
      for (const auto& e : errors) m_observer.on_journal_error(e);
      std::size_t shown_bytes = 0;
      std::int64_t left_out = 0;  // at the stop, past its grace
      for (auto& queued : reports) {
        shown_bytes += queued.bytes;
        if (queued.skipped > 0) {
          if (left_out > 0) {
            left_out += queued.skipped;
          } else {
            m_observer.on_skipped(queued.skipped);
          }
          continue;
        }
        if (left_out > 0 || out_of_time()) {
          ++left_out;
          continue;
        }
        describe(queued);
        m_observer.on_delivery(queued.report);
      }
      if (left_out > 0) m_observer.on_skipped(left_out);
      m_observer.on_drained();
      reports.clear();  // the bodies' memory goes before the backlog says so
      lock.lock();
      m_backlog -= shown_bytes;
      busy = true;
    }
  }

  ReceiverObserver& m_observer;
  const std::size_t m_backlog_limit;
  const ReceiverPolicy& m_policy;  // the secrets, for diagnoses
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Queued> m_reports;
  std::deque<Error> m_errors;
  std::size_t m_backlog = 0;  // bytes of the reports queued or being shown
  bool m_stopping = false;
  std::chrono::steady_clock::time_point m_stop_deadline{};  // set with m_stopping, before m_hurry
  std::atomic<bool> m_hurry{false};  // m_stopping, read without the lock
  bool m_raised = false;   // the thread's priority is back to normal (display thread only)
  bool m_napping = false;  // in a timed wait that pushes need not cut short
  std::thread m_thread;  // last: starts after the members it uses
};

// The Content-Length of a request, when it has a valid one.
std::optional<std::uint64_t> declared_length(const net::ParsedRequest& request) {
  const auto value = request.header("Content-Length");
  if (!value) return std::nullopt;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || ptr != value->data() + value->size() || value->empty()) return std::nullopt;
  return n;
}

// The path of a request's target (origin-form, so an absolute-form target's too), without its query.
std::string_view path_of(const net::ParsedRequest& request) {
  const std::string_view path = request.path;
  return path.substr(0, path.find('?'));
}

}  // namespace

struct Receiver::Impl {
  ReceiverOptions options;
  store::Journal& journal;
  Forwarder* forwarder;
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<DisplayQueue> display;
  std::vector<store::Journal::Batch> batches;  // one per event loop: its round's deliveries
  int port = 0;
  bool tls = false;

  Impl(ReceiverOptions o, store::Journal& j, Forwarder* f, ReceiverObserver& observer)
      : options(std::move(o)),
        journal(j),
        forwarder(f),
        display(std::make_unique<DisplayQueue>(observer, options.display_backlog, options.policy)) {}

  bool shown(const std::string& type) const {
    if (options.event_filter.empty()) return true;
    for (const auto& glob : options.event_filter)
      if (text::glob_match(glob, type)) return true;
    return false;
  }

  // The pipeline's verdict on a request, or on what arrived of one (error_status set).
  Verdict decide(net::ServerRequest& r) const {
    auto& req = r.request;
    const auto length = declared_length(req);
    if (r.error_status != 0) {
      // A head that was read whole is judged on method and path first, as any other request; a
      // malformed one (400: no Host, a bad chunk...) is refused as such, wherever it was sent.
      const bool cut_short = r.error_message.find("closed before") != std::string::npos;
      if (!req.method.empty() && (r.error_status != 400 || cut_short)) {
        if (auto head = check_head(req.method, path_of(req), std::nullopt, options.policy)) return *head;
      }
      if (r.error_status == 413) {
        return reject(413, "body_too_large", fmt::format("body exceeds the limit of {} bytes", options.policy.max_body));
      }
      if (r.error_status == 503) return reject(503, "server_busy", r.error_message);
      if (r.error_status == 408) return reject(408, "request_timeout", r.error_message);
      if (!req.method.empty() && cut_short) {
        return reject(400, "body_unreadable", "the body could not be read in full: the connection closed");
      }
      if (r.error_message.starts_with("Content-Length")) return reject(400, "invalid_content_length", r.error_message);
      return reject(r.error_status, "malformed_request", r.error_message);
    }
    if (auto head = check_head(req.method, path_of(req), length, options.policy)) return *head;
    if (req.body_too_large) {
      return reject(413, "body_too_large", fmt::format("body exceeds the limit of {} bytes", options.policy.max_body));
    }
    const auto signature = req.header(signing::k_header_name);
    return judge_body(req.body, signature.value_or(std::string_view()), options.policy, unix_now());
  }

  // On the server's loop thread: decide, journal without waiting, answer once committed.
  void handle(net::ServerRequest&& r, net::Responder respond) {
    Verdict verdict = decide(r);
    const auto age = std::chrono::steady_clock::now() - r.started;
    store::Delivery d;
    d.received_at_ms = now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(age).count();
    d.peer = std::move(r.peer);
    d.method = std::move(r.request.method);
    d.path = std::move(r.request.target);
    d.headers = std::move(r.request.headers);
    d.body = std::move(r.request.body);
    d.body_length = std::max<std::uint64_t>(r.body_bytes_seen, d.body.size());
    DisplayWork work;
    work.diagnose = verdict.verification == signing::to_string(signing::Outcome::signature_mismatch);
    if (!verdict.accepted() && d.body.size() > k_kept_rejected_body) {
      // A rejected body is kept up to a prefix (its full length is recorded): a client without the
      // secret must not be able to fill the disk at the rate it can send. The display diagnoses
      // the whole body.
      if (work.diagnose) work.full_body = d.body;
      d.body.resize(k_kept_rejected_body);
      d.body.shrink_to_fit();
    }
    d.verification = verdict.verification;
    d.verification_message = verdict.verification_message;
    if (verdict.event) {
      d.event_id = std::move(verdict.event->id);
      d.event_type = std::move(verdict.event->type);
    }
    d.status = verdict.status;
    d.rejection = verdict.rejection;
    d.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(age).count();

    const bool show = d.event_type.empty() || shown(d.event_type);
    std::vector<std::string> targets;
    if (verdict.accepted() && show) targets = targets_for(options.targets, d.event_type);

    auto report = std::make_shared<DeliveryReport>();
    report->hints = std::move(verdict.hints);
    work.describe = verdict.event.has_value() && show;
    report->forwarded_to = targets;
    report->shown = show;
    net::ServerAnswer answer{.status = verdict.status, .body = std::move(verdict.answer)};
    if (!verdict.allow.empty()) answer.headers.emplace_back("Allow", verdict.allow);
    if (verdict.status == 503) answer.headers.emplace_back("Retry-After", "1");

    // Runs on this loop's thread at the end of the round, once the round's deliveries are committed.
    journal.add(batches[r.loop], std::move(d), std::move(targets),
                [this, respond, report, work = std::move(work), answer = std::move(answer)](
                    Result<store::Appended> appended, store::Delivery&& delivery) mutable {
                  report->delivery = std::move(delivery);
                  if (!appended) {
                    respond({.status = 503, .body = journal_unavailable_answer()});
                    display->push_error(std::move(appended.error()));
                    return;
                  }
                  report->delivery.id = appended->id;
                  if (appended->duplicate) {
                    report->delivery.duplicate = true;
                    report->forwarded_to.clear();
                    answer.body = accepted_answer(report->delivery.event_id, true);
                  }
                  respond(std::move(answer));
                  if (!report->forwarded_to.empty() && forwarder != nullptr) forwarder->notify();
                  display->push(std::move(*report), std::move(work));
                });
  }

  // The part of a rejected request's body the journal keeps (its full length is recorded).
  static constexpr std::size_t k_kept_rejected_body = 64 * 1024;

  static std::string journal_unavailable_answer() {
    return R"({"received":false,"error":"journal_unavailable","message":"the delivery could not be stored; retry later"})";
  }
};

Result<std::unique_ptr<Receiver>> Receiver::create(ReceiverOptions options, store::Journal& journal,
                                                   Forwarder* forwarder, ReceiverObserver& observer) {
  auto impl = std::make_unique<Impl>(std::move(options), journal, forwarder, observer);
  const auto& o = impl->options;
  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (o.cert_file.empty() || o.key_file.empty()) {
      return fail(ErrorKind::usage, "TLS needs both a certificate and a key (--cert and --key)");
    }
    impl->tls = true;
  }
  impl->options.policy.diagnose = signing::Diagnose::no;  // on the display thread instead
  net::ServerOptions server;
  server.host = o.host;
  server.port = o.port;
  server.limits.max_body = o.policy.max_body;
  server.request_timeout = o.read_timeout;
  server.idle_timeout = o.read_timeout;
  server.max_connections = std::max<std::size_t>(o.max_connections, 4);
  server.max_buffered = std::max(o.max_buffered, o.policy.max_body + server.limits.max_head);
  net::raise_descriptor_limit();  // connections are descriptors: the usual soft limit of 1,024 is low
  server.cert_file = o.cert_file;
  server.key_file = o.key_file;
  // By default half the cores (at most 4): the rest are for the display, the checkpoints, the
  // app being built and whatever sends the webhooks. On 2 cores one loop keeps the p99 low,
  // where two would trade it for throughput (README, Benchmarks).
  server.loops = o.loops != 0 ? o.loops : std::clamp<std::size_t>(std::thread::hardware_concurrency() / 2, 1, 4);
  impl->batches = std::vector<store::Journal::Batch>(server.loops);
  server.on_round_end = [impl = impl.get()](std::size_t loop) { impl->journal.commit(impl->batches[loop]); };
  auto created = net::HttpServer::create(std::move(server), [impl = impl.get()](net::ServerRequest&& r, net::Responder respond) {
    impl->handle(std::move(r), std::move(respond));
  });
  if (!created) {
    if (impl->tls) {
      return fail(ErrorKind::usage, fmt::format("cannot use {} and {} for TLS: {}", o.cert_file, o.key_file,
                                                created.error().message));
    }
    return std::unexpected(created.error());
  }
  impl->server = std::move(*created);
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

Receiver::Receiver(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Receiver::~Receiver() {
  stop();
  m_impl->server.reset();   // no request is handed to the pipeline after this
  for (auto& batch : m_impl->batches) m_impl->journal.commit(batch);  // empty once run() has returned
  m_impl->journal.flush();  // the answers and reports of those journaled are given
  m_impl->display.reset();  // drains the reports still queued
}

Result<void> Receiver::bind() {
  if (auto bound = m_impl->server->bind(); !bound) return bound;
  m_impl->port = m_impl->server->port();
  return {};
}

int Receiver::port() const { return m_impl->port; }

std::string Receiver::url() const {
  return fmt::format("{}://{}:{}{}", m_impl->tls ? "https" : "http", net::host_for_url(m_impl->options.host),
                     m_impl->port, m_impl->options.policy.path);
}

Result<void> Receiver::run() {
  m_impl->server->run();
  return {};
}

void Receiver::stop() {
  if (m_impl->server) m_impl->server->stop();
}

}  // namespace ctg::listen
