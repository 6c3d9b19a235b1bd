// ctg::store — private to lib/ctg/store: the state behind a Journal, shared by journal.cpp (opening,
// the writer thread, appends and attempts) and journal_read.cpp (the reads).
//
// Threading:
// - m_writer, the Writer statements and m_work are used with m_writer_mutex held: by the writer
//   thread, and by callers committing their own Journal::Batch (and by open() and the destructor,
//   before the thread starts and after it is joined).
// - m_reader and the Reader statements are used only with m_read_mutex held.
// - m_checkpointer belongs to the checkpoint thread. SQLite's automatic checkpoint would run inside
//   the writer's COMMIT, copying the WAL into the database and fsyncing both while every delivery
//   of the next batch waits for its answer (p99 of tens of milliseconds under load). The writer's
//   WAL hook only counts pages and wakes the checkpoint thread, whose PASSIVE checkpoints run beside
//   the writer on their own connection.
// - Callers hand the writer a Job on their own stack and wait on the Job's own condition variable
//   until the writer marks it done. The writer sets `done` and notifies while holding the Job's
//   mutex, so the caller cannot return (and destroy the Job) before the writer is finished with it;
//   and only the caller of that Job wakes, not every waiting thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ctg/store/journal.hpp"
#include "ctg/store/sqlite.hpp"

namespace ctg::store {

// The columns every delivery query selects, in the order read_delivery() expects them.
inline constexpr std::string_view k_delivery_columns =
    "id, received_at_ms, peer, method, path, headers, body, verification, verification_message, event_id,"
    " event_type, status, rejection, duplicate, duration_us, COALESCE(body_length, length(body))";

// One unit of work for the writer thread.
struct Job {
  enum class Kind { append, attempt, flush };
  Kind kind = Kind::flush;
  // Kind::append (borrowed from the caller, who waits until done)
  const Delivery* delivery = nullptr;
  const std::vector<std::string>* forward_targets = nullptr;
  std::string_view headers_json;  // encoded by the caller's thread, not the writer's
  // Kind::attempt
  const Attempt* attempt = nullptr;
  ForwardState new_state = ForwardState::pending;
  // Outcome, written by the writer thread before `done`.
  Appended appended;
  std::optional<Error> error;
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;  // guarded by `mutex`

  // A Journal::Batch job: it owns what it journals, nobody waits on it, and finish() runs
  // `on_done` and then deletes the job.
  Journal::AppendDone on_done;
  Delivery owned_delivery;
  std::vector<std::string> owned_targets;
  std::string owned_headers_json;
};

struct Journal::Impl {
  Impl(std::string path, const JournalOptions& options);
  ~Impl();  // drains the queue and joins the writer
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<void> open_connections();
  Result<void> open_reader();  // journal_read.cpp
  Result<void> prepare(const sqlite::Connection& db, sqlite::Statement& statement, std::string_view sql) const;
  void start_writer();

  // Queues `job` for the writer and blocks until it is committed (or failed).
  void submit(Job& job);
  // Queues `job` for the writer thread (submit()'s first half).
  void enqueue(Job* job);

  // Writer thread.
  void run_writer();
  void finish(std::span<Job* const> batch);
  void commit_chunk(std::span<Job* const> chunk);
  Result<void> apply(Job& job);
  Result<void> apply_append(Job& job);
  Result<void> apply_attempt(Job& job);
  Error write_error(const std::string& reason) const;

  std::string m_path;
  std::size_t m_max_batch = 512;

  sqlite::Connection m_writer;
  struct Writer {
    sqlite::Statement begin, commit, rollback;
    sqlite::Statement find_accepted, insert_delivery, insert_forward, update_forward, insert_attempt;
  } m_w;
  std::vector<Job*> m_work;  // the writer's current chunk, reused across commits
  // Held by whoever writes with m_writer and the Writer statements: the writer thread for each of
  // its batches, Journal::commit() for a caller's Batch.
  std::mutex m_writer_mutex;

  mutable std::mutex m_read_mutex;
  sqlite::Connection m_reader;
  struct Reader {
    sqlite::Statement find, find_by_event_id, forwards_of, attempts_of;
    sqlite::Statement first_target, next_target, head_of, pending_of, pending_count;
  };
  mutable Reader m_r;

  // Checkpoint thread (journal.cpp).
  void start_checkpointer();
  void run_checkpointer();
  // The writer connection's WAL hook (on the writer thread, after each commit).
  static int on_wal_commit(void* impl, sqlite3* db, const char* name, int wal_pages);
  sqlite::Connection m_checkpointer;
  std::mutex m_checkpoint_mutex;
  std::condition_variable m_checkpoint_cv;
  int m_wal_pages = 0;              // WAL size at the last commit; guarded by m_checkpoint_mutex
  std::uint64_t m_commits = 0;      // commits seen by the hook; guarded by m_checkpoint_mutex
  bool m_checkpoint_stopping = false;  // guarded by m_checkpoint_mutex
  std::thread m_checkpoint_thread;

  std::mutex m_queue_mutex;
  std::condition_variable m_queue_cv;
  std::vector<Job*> m_queue;
  bool m_stopping = false;
  std::size_t m_open = 0;  // jobs in the writer's open transaction while it gathers more; else 0

  std::thread m_thread;
};

}  // namespace ctg::store
