// ctg::store — the journal: every delivery `ctg listen` receives and every forward attempt, in one
// SQLite database (WAL mode, versioned schema with migrations in PRAGMA user_version).
//
// Durability: append() returns only after the delivery's transaction has committed to the WAL, so
// a delivery that was acknowledged survives the process being killed (SIGKILL) right after the
// answer. Appends from many threads are batched into one transaction by a single writer thread
// (group commit), so that durability does not cap throughput; an event loop batches its own
// round of requests (Journal::Batch) and commits it on its own thread.
//
// Threading: a Journal is safe to use from any number of threads. Reads use their own
// connection(s) and never block the writer for long (WAL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctg/core/error.hpp"

namespace ctg::store {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP request as received, accepted or rejected.
struct Delivery {
  std::int64_t id = 0;                // assigned by the journal (1, 2, 3, ... in arrival order)
  std::int64_t received_at_ms = 0;    // Unix milliseconds
  std::string peer;                   // "127.0.0.1:53422"
  std::string method;                 // "POST"
  std::string path;                   // "/contiguity/webhook"
  Headers headers;                    // as received, in order
  std::string body;                   // exact bytes (a prefix of them when body_length says more)
  // The body's full length. More than body.size() when only a prefix was kept: the body of a
  // rejected or incomplete request beyond the receiver's bound, or one read and dropped (413).
  // 0 on writing means body.size().
  std::uint64_t body_length = 0;
  std::string verification;           // "valid", "unverified" (no secret), or a signing::Outcome name
  std::string verification_message;   // signing's message; empty when valid
  std::string event_id;               // envelope id; empty when the body did not parse
  std::string event_type;             // envelope type; empty when the body did not parse
  int status = 0;                     // the HTTP status answered
  std::string rejection;              // why it was rejected ("signature_mismatch: ..."); empty if accepted
  bool duplicate = false;             // an accepted delivery with this event_id was journaled before
  std::int64_t duration_us = 0;       // time from request parsed to answer ready
};

enum class ForwardState { pending, delivered, failed, dead };
// "pending", "delivered", "failed" (a non-retryable answer such as 400), "dead" (max attempts reached)
std::string_view to_string(ForwardState state);

// One delivery's journey to one forward target.
struct Forward {
  std::int64_t id = 0;
  std::int64_t delivery_id = 0;
  std::string target;                 // the target URL
  ForwardState state = ForwardState::pending;
  int attempts = 0;
  std::int64_t next_attempt_at_ms = 0;
  int last_status = 0;                // 0 when no HTTP answer
  std::string last_error;             // "connection refused", "timeout after 10000 ms", ...
  std::int64_t last_latency_us = 0;
};

// One attempt of a forward.
struct Attempt {
  std::int64_t forward_id = 0;
  int number = 0;                     // 1, 2, ...
  std::int64_t started_at_ms = 0;
  int status = 0;                     // 0 when no HTTP answer
  std::int64_t latency_us = 0;
  std::string error;                  // empty on an HTTP answer
  std::string response_excerpt;       // first bytes of the answer body
  std::int64_t next_attempt_at_ms = 0;  // when a retry is scheduled; 0 when none
};

struct Appended {
  std::int64_t id = 0;
  bool duplicate = false;             // for accepted deliveries with an event id already accepted
};

struct JournalOptions {
  // Upper bound on deliveries committed in one transaction. Default 512.
  std::size_t max_batch = 512;
};

// Filters for list(). Unset fields do not filter.
struct ListFilter {
  std::optional<std::string> type_glob;       // "text.*"
  std::optional<std::int64_t> since_ms;       // received_at_ms >= since_ms
  std::optional<std::string> status;          // "accepted", "rejected", "duplicate", "2xx", "401", "forward-failed", "dead"
  std::size_t limit = 50;                     // newest first; 0 = no limit
};

struct Job;  // journal_impl.hpp

class Journal {
 public:
  // Opens (creating folders and the file as needed; mode 0600) and migrates the schema.
  // Errors (io): "cannot open journal ~/.local/state/ctg/events.db: ..." ; a newer schema than this
  // ctg knows: "journal ... was written by a newer ctg (schema 7, this ctg knows 2)".
  static Result<std::unique_ptr<Journal>> open(const std::string& path, const JournalOptions& options = {});
  ~Journal();  // flushes and stops the writer

  // Journals `delivery` (its id is ignored) and, when it is accepted (2xx, not duplicate), one
  // pending Forward per entry of `forward_targets`, due now. Blocks until committed. Duplicate
  // detection: an accepted delivery whose event_id was already accepted is stored with
  // duplicate = true and gets no forwards.
  // "Now" is delivery.received_at_ms (the journal reads no clock); delivery.duplicate is ignored
  // (the journal decides it). Rejected deliveries and empty event ids never count as originals.
  // The body is kept byte for byte; header bytes that are not UTF-8 are kept as U+FFFD.
  // Errors (io): "cannot write journal <path>: <reason>".
  Result<Appended> append(const Delivery& delivery, const std::vector<std::string>& forward_targets);

  // What add() reports for a delivery once its batch has committed (or failed), with the
  // delivery handed back. It must be quick and must not call back into the journal.
  using AppendDone = std::function<void(Result<Appended>, Delivery&&)>;

  // For an event loop that journals a round of requests at a time, on its own thread: add()
  // puts a delivery in the caller's batch, and commit() commits the whole batch in one
  // transaction on the calling thread (waiting while another thread writes), then runs each
  // `done` there, in the order added. A statement that fails fails only its own delivery.
  // A batch belongs to one thread; several threads may commit their own batches.
  class Batch {
   public:
    Batch() = default;
    ~Batch();  // fails what was added and never committed
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    bool empty() const { return m_jobs.empty(); }

   private:
    friend class Journal;
    std::vector<Job*> m_jobs;
  };
  void add(Batch& batch, Delivery delivery, std::vector<std::string> forward_targets, AppendDone done);
  void commit(Batch& batch);

  // Reads. Errors (io): "cannot read journal <path>: <reason>".
  // list(): "accepted" is 2xx and not duplicate, "rejected" non-2xx, "forward-failed" has a forward
  // failed or dead; any class "1xx".."5xx" and code "100".."599" also work. An unknown status is a
  // usage error naming the valid values.
  Result<std::vector<Delivery>> list(const ListFilter& filter) const;   // bodies included
  Result<std::optional<Delivery>> find(std::int64_t id) const;
  // The first accepted delivery with this event id; nullopt for none, and for an empty id.
  Result<std::optional<Delivery>> find_by_event_id(const std::string& event_id) const;
  Result<std::vector<Forward>> forwards_of(std::int64_t delivery_id) const;
  Result<std::vector<Attempt>> attempts_of(std::int64_t forward_id) const;

  // The forward queue.
  // Targets that have pending forwards, in first-seen order (the order of each target's oldest
  // pending forward).
  Result<std::vector<std::string>> pending_targets() const;
  // The oldest pending forward of `target` (delivery order), whether due or not; nullopt if none.
  // Per-target order: a forwarder takes only this head, so events reach a target in arrival order.
  Result<std::optional<Forward>> head_of(const std::string& target) const;
  // Pending forwards of `target` in delivery order, at most `limit`.
  Result<std::vector<Forward>> pending_of(const std::string& target, std::size_t limit) const;
  Result<std::int64_t> pending_count(const std::string& target) const;
  // Records an attempt and the forward's new state (delivered / failed / dead / still pending with
  // next_attempt_at_ms). Committed before returning. The forward takes attempt.number as its
  // attempts count and the attempt's status, error, latency and next_attempt_at_ms.
  // Errors: internal "journal <path> has no forward <id>"; io when the write fails.
  Result<void> record_attempt(const Attempt& attempt, ForwardState new_state);

  // Waits until every append queued so far is committed (used at shutdown).
  void flush();

  const std::string& path() const;

 private:
  struct Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// $XDG_STATE_HOME/ctg/events.db, else $HOME/.local/state/ctg/events.db. The caller passes the
// environment values (library code does not read the environment). A relative XDG_STATE_HOME is
// ignored, as the XDG spec asks; with neither usable, "ctg-events.db" in the current folder.
std::string default_journal_path(const char* xdg_state_home, const char* home);

}  // namespace ctg::store
