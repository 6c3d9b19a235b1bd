// ctg::listen — the local webhook receiver behind `ctg listen`.
//
// Each request goes through the pipeline (pipeline.hpp), is journaled (every request, rejected
// ones too), and is answered only once its journal entry has committed; nothing slow happens
// before the answer: display, signature diagnoses and forwarding are handed to other threads. A
// repeated event id is answered 2xx, marked duplicate and not forwarded again. The body of a
// rejected or incomplete request is journaled up to its first 64 KiB, with its full length.
//
// Threading: run() serves on event loops (net::HttpServer; one per two cores by default), each on
// its own thread, reading, parsing and judging its connections' requests without blocking. At the
// end of each round of network events a loop commits its round's deliveries to the journal in
// one transaction (group commit on its own thread: no hand-off, no wake-up), answers them, and
// hands the reports to the display thread. A client trickling its headers costs a buffer, not a
// thread, so it cannot delay a normal sender. stop() may be called from any thread (a signal
// watcher): it stops accepting, lets requests in flight finish, and makes run() return.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctg/core/error.hpp"
#include "ctg/events/event.hpp"
#include "ctg/listen/forwarder.hpp"
#include "ctg/listen/pipeline.hpp"
#include "ctg/store/journal.hpp"

namespace ctg::listen {

struct ReceiverOptions {
  std::string host = "127.0.0.1";
  int port = 3000;                    // 0 picks a free port (see Receiver::port())
  ReceiverPolicy policy;
  std::vector<ForwardTarget> targets; // routes; the forwarder delivers
  std::vector<std::string> event_filter;  // globs; empty = all. Filters display and forwarding.
  std::string cert_file;              // TLS when both are set
  std::string key_file;
  // Open connections at most; more are closed at once. Kept below the descriptor limit, whose
  // soft value create() raises to the hard one.
  std::size_t max_connections = 10'000;
  // Request bytes held by all connections together (net::ServerOptions::max_buffered): a request
  // that would go beyond is answered 503 with Retry-After and journaled. At least max_body + 16 KiB.
  std::size_t max_buffered = std::size_t{64} << 20;
  std::chrono::seconds read_timeout{5};  // a request must arrive whole within this; idle connections close after it
  std::size_t loops = 0;              // event-loop threads; 0: one per two CPU cores, at most 4
  // Reports waiting for the display, in bytes of request (body and headers) at most: beyond it,
  // deliveries are journaled and answered as always but only counted for the display
  // (ReceiverObserver::on_skipped), so that a display starved of CPU cannot use up memory.
  std::size_t display_backlog = std::size_t{8} << 20;
};

// One journaled request, as the display sees it.
struct DeliveryReport {
  store::Delivery delivery;                         // as journaled (id, duplicate set)
  std::vector<std::string> hints;                   // signature diagnoses
  std::vector<events::SchemaIssue> schema_issues;   // events::strict_issues, when the body parsed
  std::string summary;                              // events::summarize, when the body parsed
  std::vector<std::string> forwarded_to;            // targets it was queued for
  bool shown = true;                                // false when --events filters it out
};

class ReceiverObserver {
 public:
  virtual ~ReceiverObserver() = default;
  // Called from the display thread, in arrival order.
  virtual void on_delivery(const DeliveryReport& report) = 0;
  // The journal could not take a delivery (disk full, ...); the request was answered 503.
  virtual void on_journal_error(const Error& error) = 0;
  // `count` deliveries, journaled and answered, were not given to on_delivery() because the
  // display fell behind by more than ReceiverOptions::display_backlog; called in their place.
  virtual void on_skipped(std::int64_t count) = 0;
  // The reports queued so far have all been given: a moment to flush output.
  virtual void on_drained() {}
};

class Receiver {
 public:
  // REQUIRES: journal and observer outlive the Receiver. `forwarder` may be null (no targets).
  // Errors: TLS files unreadable or not a certificate/key pair (usage).
  static Result<std::unique_ptr<Receiver>> create(ReceiverOptions options, store::Journal& journal,
                                                  Forwarder* forwarder, ReceiverObserver& observer);
  ~Receiver();

  // Binds the listening socket (SO_REUSEADDR, never SO_REUSEPORT, so a busy port is an error).
  // Errors (io): "cannot bind 127.0.0.1:3000: address already in use", with a hint.
  Result<void> bind();
  int port() const;           // the bound port, after bind()
  std::string url() const;    // "http://127.0.0.1:3000/contiguity/webhook"

  // Serves until stop(). REQUIRES: bind() succeeded.
  Result<void> run();
  void stop();

 private:
  struct Impl;
  explicit Receiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ctg::listen
