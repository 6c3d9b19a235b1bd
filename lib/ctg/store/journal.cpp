// The journal's write side: opening, the group-commit writer thread, append() and
// record_attempt(). Reads are in journal_read.cpp; the schema in schema.cpp.
#include "ctg/store/journal.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctg/core/file.hpp"
#include "ctg/core/text.hpp"
#include "ctg/store/journal_impl.hpp"
#include "ctg/store/schema.hpp"

namespace ctg::store {

namespace {

constexpr int k_writer_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

std::string reason(int err) {
  std::string text = std::strerror(err);
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Creates the missing parent folders (mode 0700) and the file itself (mode 0600, whatever the
// umask), so that SQLite, which gives its -wal and -shm files the database's mode, never creates
// anything readable by others. An existing file keeps its mode.
Result<void> create_private_file(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::filesystem::path folder;
  for (const auto& part : parent) {
    folder /= part;
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(ErrorKind::io,
                  fmt::format("cannot open journal {}: cannot create {}: {}", path, folder.string(), reason(errno)));
    }
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return fail(ErrorKind::io, fmt::format("cannot open journal {}: {}", path, reason(errno)));
}

void append_json_string(std::string& out, std::string_view s) {
  constexpr std::string_view k_hex = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(s.substr(plain, i - plain));
    plain = i + 1;
    if (byte < 0x20) {
      out += "\\u00";
      out += k_hex[byte / 16u];
      out += k_hex[byte % 16u];
    } else {
      out += '\\';
      out += static_cast<char>(byte);
    }
  }
  out.append(s.substr(plain));
  out += '"';
}

// Headers as a JSON array of [name, value] pairs, which keeps their order and repeated names;
// written into `out` (the caller's reused buffer). This runs once per delivery on the listener's
// threads, so valid UTF-8 (all real headers) is escaped here directly, which is several times
// cheaper than building an nlohmann::json value; anything else goes through nlohmann::json,
// whose bytes that are not UTF-8 become U+FFFD (the body is the part kept exactly). Either way
// the text is JSON that nlohmann::json reads back (journal_read.cpp).
void encode_headers(const Headers& headers, std::string& out) {
  out.clear();
  std::size_t size = 2;
  bool plain = true;  // every name and value ASCII text: valid UTF-8 without a check
  for (const auto& [name, value] : headers) {
    size += name.size() + value.size() + 8;
    plain = plain && text::is_plain_json_text(name) && text::is_plain_json_text(value);
  }
  const bool utf8 = plain || std::all_of(headers.begin(), headers.end(), [](const auto& header) {
    return !text::find_invalid_utf8(header.first) && !text::find_invalid_utf8(header.second);
  });
  if (!utf8) {
    auto array = nlohmann::json::array();
    for (const auto& [name, value] : headers) array.push_back(nlohmann::json::array({name, value}));
    out = array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out.reserve(size);
  out += '[';
  for (const auto& [name, value] : headers) {
    if (out.size() > 1) out += ',';
    out += '[';
    append_json_string(out, name);
    out += ',';
    append_json_string(out, value);
    out += ']';
  }
  out += ']';
}

bool is_accepted(int status) {
  return status >= 200 && status <= 299;
}

}  // namespace

std::string_view to_string(ForwardState state) {
  switch (state) {
    case ForwardState::pending:
      return "pending";
    case ForwardState::delivered:
      return "delivered";
    case ForwardState::failed:
      return "failed";
    case ForwardState::dead:
      return "dead";
  }
  return "pending";
}

std::string default_journal_path(const char* xdg_state_home, const char* home) {
  return file::xdg_file(xdg_state_home, home, ".local/state", "ctg/events.db", "ctg-events.db");
}

// ---------------------------------------------------------------------------------------------
// Opening and closing.

Journal::Impl::Impl(std::string path, const JournalOptions& options)
    : m_path(std::move(path)), m_max_batch(std::max<std::size_t>(options.max_batch, 1)) {
  m_work.reserve(m_max_batch);
}

Journal::Impl::~Impl() {
  if (m_thread.joinable()) {
    {
      std::lock_guard lock(m_queue_mutex);
      m_stopping = true;
    }
    m_queue_cv.notify_one();
    m_thread.join();  // the writer commits everything queued before it returns
  }
  if (m_checkpoint_thread.joinable()) {
    {
      std::lock_guard lock(m_checkpoint_mutex);
      m_checkpoint_stopping = true;
    }
    m_checkpoint_cv.notify_one();
    m_checkpoint_thread.join();
  }
  // Closing the writer's connection last checkpoints what is left and removes the WAL.
}

Result<void> Journal::Impl::open_connections() {
  if (auto created = create_private_file(m_path); !created) return created;

  auto writer = sqlite::Connection::open(m_path, k_writer_flags);
  if (!writer) return std::unexpected(writer.error());
  m_writer = std::move(*writer);
  if (auto done = schema::configure(m_writer, schema::Role::writer, m_path); !done) return done;
  if (auto done = schema::migrate(m_writer, m_path); !done) return done;

  const std::pair<sqlite::Statement*, std::string_view> statements[] = {
      {&m_w.begin, "BEGIN IMMEDIATE"},
      {&m_w.commit, "COMMIT"},
      {&m_w.rollback, "ROLLBACK"},
      {&m_w.find_accepted, "SELECT 1 FROM deliveries WHERE event_id = ?1 AND status BETWEEN 200 AND 299 LIMIT 1"},
      {&m_w.insert_delivery,
       "INSERT INTO deliveries (received_at_ms, peer, method, path, headers, body, verification,"
       " verification_message, event_id, event_type, status, rejection, duplicate, duration_us, body_length)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"},
      {&m_w.insert_forward,
       "INSERT INTO forwards (delivery_id, target, state, next_attempt_at_ms) VALUES (?1, ?2, 'pending', ?3)"},
      {&m_w.update_forward,
       "UPDATE forwards SET state = ?2, attempts = ?3, next_attempt_at_ms = ?4, last_status = ?5,"
       " last_error = ?6, last_latency_us = ?7 WHERE id = ?1"},
      {&m_w.insert_attempt,
       "INSERT INTO attempts (forward_id, number, started_at_ms, status, latency_us, error, response_excerpt,"
       " next_attempt_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
  };
  for (const auto& [statement, sql] : statements) {
    if (auto prepared = prepare(m_writer, *statement, sql); !prepared) return prepared;
  }
  return open_reader();
}

Result<void> Journal::Impl::prepare(const sqlite::Connection& db, sqlite::Statement& statement,
                                    std::string_view sql) const {
  auto prepared = sqlite::Statement::prepare(db, sql);
  if (!prepared)
    return fail(ErrorKind::io, fmt::format("cannot open journal {}: {}", m_path, prepared.error().message));
  statement = std::move(*prepared);
  return {};
}

void Journal::Impl::start_writer() {
  m_thread = std::thread([this] { run_writer(); });
}

// ---------------------------------------------------------------------------------------------
// Checkpoints, off the commit path (see journal_impl.hpp).

namespace {

// When checkpoints run: once the WAL holds k_checkpoint_pages (4 KiB each; SQLite's own default)
// and the writer has been quiet for k_quiet, so that a burst of deliveries is not slowed by them;
// during sustained load, once the WAL holds k_busy_pages (256 MiB), at most one every
// k_busy_interval; and when it reaches k_wal_limit_pages (1 GiB), as a RESTART checkpoint, which
// makes the writer wait while the WAL is copied, so that the WAL cannot grow without bound. After
// a checkpoint the WAL is reused from its start and cut back to 64 MiB (journal_size_limit,
// schema.cpp).
constexpr int k_checkpoint_pages = 1000;
constexpr int k_busy_pages = 65536;
constexpr int k_wal_limit_pages = 262144;
constexpr std::chrono::milliseconds k_quiet{100};
constexpr std::chrono::milliseconds k_busy_interval{1000};

}  // namespace

int Journal::Impl::on_wal_commit(void* impl, sqlite3*, const char*, int wal_pages) {
  if (wal_pages < k_checkpoint_pages) return SQLITE_OK;
  auto& self = *static_cast<Impl*>(impl);
  bool wake = false;
  {
    std::lock_guard lock(self.m_checkpoint_mutex);
    // Wakes the checkpoint thread only when a threshold is crossed, not on every commit.
    wake = self.m_wal_pages == 0 || (self.m_wal_pages < k_busy_pages && wal_pages >= k_busy_pages) ||
           (self.m_wal_pages < k_wal_limit_pages && wal_pages >= k_wal_limit_pages);
    self.m_wal_pages = wal_pages;
    ++self.m_commits;
  }
  if (wake) self.m_checkpoint_cv.notify_one();
  return SQLITE_OK;
}

void Journal::Impl::start_checkpointer() {
  auto connection = sqlite::Connection::open(m_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!connection) return;  // SQLite's automatic checkpoint (left on) does the work instead
  m_checkpointer = std::move(*connection);
  sqlite3_busy_timeout(m_checkpointer.get(), 10'000);
  // A connection learns that the database is in WAL mode when it first reads it; until then its
  // checkpoints do nothing.
  if (!m_checkpointer.exec("PRAGMA synchronous = NORMAL; SELECT count(*) FROM sqlite_master")) return;
  // Replaces the automatic checkpoint of the writer's connection.
  sqlite3_wal_hook(m_writer.get(), &on_wal_commit, this);
  m_checkpoint_thread = std::thread([this] { run_checkpointer(); });
}

namespace {

// Writes the WAL's new frames to disk (fdatasync through a descriptor of our own). Under load the
// checkpoint thread does this every k_quiet, so that the sync SQLite's checkpoint makes of the
// WAL (synchronous = NORMAL) finds little left to write: one sync of hundreds of megabytes, and
// the file system journal commit that comes with it, stalls the writer's appends for
// milliseconds (p99 5-40 ms instead of 4-6 ms in 8 s benchmark runs). The writer never waits for
// these syncs; they also put recent deliveries on disk sooner.
void sync_wal(const std::string& wal_path) {
  const int fd = ::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);  // a failure here is the checkpoint's to meet and report
  ::close(fd);
}

}  // namespace

void Journal::Impl::run_checkpointer() {
  pthread_setname_np(pthread_self(), "ctg-checkpoint");
  auto last_busy = std::chrono::steady_clock::now() - k_busy_interval;
  const std::string wal_path = m_path + "-wal";
  while (true) {
    int pages = 0;
    {
      std::unique_lock lock(m_checkpoint_mutex);
      m_checkpoint_cv.wait(lock, [&] { return m_checkpoint_stopping || m_wal_pages > 0; });
      while (!m_checkpoint_stopping && m_wal_pages < k_wal_limit_pages) {
        if (m_wal_pages >= k_busy_pages && std::chrono::steady_clock::now() >= last_busy + k_busy_interval) break;
        const auto seen = m_commits;
        m_checkpoint_cv.wait_for(lock, k_quiet, [&] { return m_checkpoint_stopping || m_wal_pages >= k_wal_limit_pages; });
        if (m_commits == seen) break;  // quiet for k_quiet
        lock.unlock();  // the writer's commit hook takes the lock
        sync_wal(wal_path);
        lock.lock();
      }
      if (m_checkpoint_stopping) return;
      pages = std::exchange(m_wal_pages, 0);
    }
    if (pages >= k_busy_pages) last_busy = std::chrono::steady_clock::now();
    const int mode = pages >= k_wal_limit_pages ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
    // A failure (the disk is full, say) leaves the frames in the WAL, where they are as durable;
    // a later commit's hook tries again.
    sqlite3_wal_checkpoint_v2(m_checkpointer.get(), nullptr, mode, nullptr, nullptr);
  }
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path, const JournalOptions& options) {
  auto impl = std::make_unique<Impl>(path, options);
  if (auto opened = impl->open_connections(); !opened) return std::unexpected(opened.error());
  impl->start_checkpointer();
  impl->start_writer();
  return std::unique_ptr<Journal>(new Journal(std::move(impl)));
}

Journal::Journal(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Journal::~Journal() = default;

const std::string& Journal::path() const {
  return m_impl->m_path;
}

Error Journal::Impl::write_error(const std::string& why) const {
  return Error{ErrorKind::io, fmt::format("cannot write journal {}: {}", m_path, why), {}};
}

// ---------------------------------------------------------------------------------------------
// Group commit.

namespace {

// Group commit under load: a transaction stays open up to k_batch_wait for k_batch_target jobs,
// looking for new ones every k_batch_look.
constexpr std::size_t k_batch_target = 32;
constexpr std::chrono::microseconds k_batch_wait{500};
constexpr std::chrono::microseconds k_batch_look{100};

// Runs a statement that returns no rows (BEGIN, COMMIT, ROLLBACK) and makes it ready for the next time.
int run(sqlite::Statement& statement) {
  const int rc = statement.step();
  statement.reset();
  return rc;
}

}  // namespace

void Journal::Impl::enqueue(Job* job) {
  bool wake = false;
  {
    std::lock_guard lock(m_queue_mutex);
    m_queue.push_back(job);
    // An idle writer is woken by the first job. One gathering a batch looks by itself every
    // k_batch_look (a wake-up per job would cost more than it saves) unless the batch is full.
    // Otherwise the writer is busy, and will look again (see run_writer()).
    wake = m_open > 0 ? m_open + m_queue.size() == k_batch_target
                      : m_queue.size() == 1 || m_queue.size() == k_batch_target;
  }
  if (wake) m_queue_cv.notify_one();
}

void Journal::Impl::submit(Job& job) {
  enqueue(&job);
  std::unique_lock lock(job.mutex);
  job.finished.wait(lock, [&] { return job.done; });
}

void Journal::Impl::run_writer() {
  pthread_setname_np(pthread_self(), "ctg-journal");
  std::vector<Job*> batch;  // the jobs of the open transaction, in arrival order
  batch.reserve(m_max_batch);
  std::size_t last_batch = 0;
  while (true) {
    std::unique_lock lock(m_queue_mutex);
    m_queue_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
    if (m_queue.empty()) return;  // stopping, and everything queued is committed
    std::unique_lock writing(m_writer_mutex);
    // Under concurrent load (the last batch had company) the transaction stays open a moment for
    // more jobs, and each is inserted as it arrives: a commit writes a few whole pages to the WAL
    // however few rows it carries, so larger batches save more than the wait costs, and by the end
    // of the wait only the COMMIT is left to do. A lone delivery is committed at once.
    const bool gather = last_batch > 1;
    const auto deadline = std::chrono::steady_clock::now() + k_batch_wait;
    bool open = false;
    bool broken = false;  // a statement failed: finish() sorts it out
    while (true) {
      const std::size_t room = m_max_batch - batch.size();
      const std::size_t taken = std::min(room, m_queue.size());
      const auto first = batch.size();
      batch.insert(batch.end(), m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(taken));
      m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(taken));
      m_open = gather ? batch.size() : 0;
      lock.unlock();
      if (!open && !broken) {
        open = run(m_w.begin) == SQLITE_DONE;
        broken = !open;
      }
      for (std::size_t i = first; i < batch.size() && !broken; ++i) broken = !apply(*batch[i]);
      lock.lock();
      const auto now = std::chrono::steady_clock::now();
      if (!gather || broken || m_stopping || batch.size() >= std::min(k_batch_target, m_max_batch) || now >= deadline) {
        break;
      }
      if (m_queue.empty()) {
        m_queue_cv.wait_until(lock, std::min(deadline, now + k_batch_look), [&] {
          return m_stopping || batch.size() + m_queue.size() >= k_batch_target;
        });
      }
    }
    m_open = 0;
    lock.unlock();
    last_batch = batch.size();
    if (!open || broken || run(m_w.commit) != SQLITE_DONE) {
      // Something failed: start again without the inserts made so far, one job at a time if
      // need be (commit_chunk() fails only the job at fault).
      if (open) run(m_w.rollback);
      commit_chunk(batch);
    }
    writing.unlock();
    finish(batch);
    batch.clear();
  }
}

// Hands each job of a committed (or failed) batch its outcome.
void Journal::Impl::finish(std::span<Job* const> batch) {
  for (Job* job : batch) {
    if (job->on_done) {
      Result<Appended> result = job->error ? Result<Appended>(std::unexpected(std::move(*job->error)))
                                           : Result<Appended>(job->appended);
      job->on_done(std::move(result), std::move(job->owned_delivery));
      delete job;
      continue;
    }
    std::lock_guard lock(job->mutex);  // notify before unlocking: see journal_impl.hpp
    job->done = true;
    job->finished.notify_one();
  }
}

// Commits `chunk` in one transaction. A statement that fails for one job (which should not happen:
// there is no constraint a delivery can break) rolls the transaction back, fails that job alone,
// and the others are tried again without it. A failed BEGIN or COMMIT fails them all.
void Journal::Impl::commit_chunk(std::span<Job* const> chunk) {
  m_work.assign(chunk.begin(), chunk.end());
  std::erase_if(m_work, [](const Job* job) { return job->kind == Job::Kind::flush; });
  auto fail_all = [&](const Error& error) {
    for (Job* job : m_work) job->error = error;
  };
  while (!m_work.empty()) {
    if (run(m_w.begin) != SQLITE_DONE) return fail_all(write_error(m_writer.last_error()));
    std::size_t failed = m_work.size();
    Error failure;
    for (std::size_t i = 0; i < m_work.size(); ++i) {
      if (auto applied = apply(*m_work[i]); !applied) {
        failed = i;
        failure = std::move(applied.error());
        break;
      }
    }
    if (failed == m_work.size()) {
      if (run(m_w.commit) == SQLITE_DONE) return;
      const Error error = write_error(m_writer.last_error());
      run(m_w.rollback);
      return fail_all(error);
    }
    run(m_w.rollback);
    m_work[failed]->error = std::move(failure);
    m_work.erase(m_work.begin() + static_cast<std::ptrdiff_t>(failed));
  }
}

Result<void> Journal::Impl::apply(Job& job) {
  job.error.reset();
  switch (job.kind) {
    case Job::Kind::append:
      return apply_append(job);
    case Job::Kind::attempt:
      return apply_attempt(job);
    case Job::Kind::flush:
      return {};
  }
  return {};
}

Result<void> Journal::Impl::apply_append(Job& job) {
  const Delivery& d = *job.delivery;
  const bool accepted = is_accepted(d.status);
  bool duplicate = false;
  if (accepted && !d.event_id.empty()) {
    // Sees this transaction's own inserts too, so duplicates within one batch are caught.
    sqlite::ResetOnExit reset(m_w.find_accepted);
    m_w.find_accepted.bind_text(1, d.event_id);
    const int rc = m_w.find_accepted.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(write_error(m_writer.last_error()));
    duplicate = rc == SQLITE_ROW;
  }
  {
    auto& s = m_w.insert_delivery;
    sqlite::ResetOnExit reset(s);
    s.bind(1, d.received_at_ms);
    s.bind_text(2, d.peer);
    s.bind_text(3, d.method);
    s.bind_text(4, d.path);
    s.bind_text(5, job.headers_json);
    s.bind_blob(6, d.body);
    s.bind_text(7, d.verification);
    s.bind_text(8, d.verification_message);
    s.bind_text(9, d.event_id);
    s.bind_text(10, d.event_type);
    s.bind(11, d.status);
    s.bind_text(12, d.rejection);
    s.bind(13, duplicate ? 1 : 0);
    s.bind(14, d.duration_us);
    if (d.body_length > d.body.size()) {
      s.bind(15, static_cast<std::int64_t>(std::min<std::uint64_t>(d.body_length, INT64_MAX)));
    } else {
      s.bind_null(15);
    }
    if (s.step() != SQLITE_DONE) return std::unexpected(write_error(m_writer.last_error()));
  }
  const std::int64_t id = sqlite3_last_insert_rowid(m_writer.get());
  if (accepted && !duplicate) {
    auto& s = m_w.insert_forward;
    for (const auto& target : *job.forward_targets) {
      sqlite::ResetOnExit reset(s);
      s.bind(1, id);
      s.bind_text(2, target);
      s.bind(3, d.received_at_ms);  // due at once
      if (s.step() != SQLITE_DONE) return std::unexpected(write_error(m_writer.last_error()));
    }
  }
  job.appended = Appended{id, duplicate};
  return {};
}

Result<void> Journal::Impl::apply_attempt(Job& job) {
  const Attempt& a = *job.attempt;
  {
    auto& s = m_w.update_forward;
    sqlite::ResetOnExit reset(s);
    s.bind(1, a.forward_id);
    s.bind_text(2, to_string(job.new_state));
    s.bind(3, a.number);
    s.bind(4, a.next_attempt_at_ms);
    s.bind(5, a.status);
    s.bind_text(6, a.error);
    s.bind(7, a.latency_us);
    if (s.step() != SQLITE_DONE) return std::unexpected(write_error(m_writer.last_error()));
  }
  if (sqlite3_changes(m_writer.get()) == 0) {
    job.error = Error{ErrorKind::internal, fmt::format("journal {} has no forward {}", m_path, a.forward_id), {}};
    return {};
  }
  auto& s = m_w.insert_attempt;
  sqlite::ResetOnExit reset(s);
  s.bind(1, a.forward_id);
  s.bind(2, a.number);
  s.bind(3, a.started_at_ms);
  s.bind(4, a.status);
  s.bind(5, a.latency_us);
  s.bind_text(6, a.error);
  s.bind_text(7, a.response_excerpt);
  s.bind(8, a.next_attempt_at_ms);
  if (s.step() != SQLITE_DONE) return std::unexpected(write_error(m_writer.last_error()));
  return {};
}

// ---------------------------------------------------------------------------------------------
// The write API.

namespace {

// A job for `delivery`, owning it, with its headers encoded on the caller's thread. On failure
// `done` has been told, and the result is null.
std::unique_ptr<Job> owned_append(Delivery&& delivery, std::vector<std::string>&& forward_targets,
                                  Journal::AppendDone& done) {
  auto job = std::make_unique<Job>();
  job->kind = Job::Kind::append;
  job->owned_delivery = std::move(delivery);
  job->owned_targets = std::move(forward_targets);
  try {
    encode_headers(job->owned_delivery.headers, job->owned_headers_json);
  } catch (const std::exception& e) {
    done(fail(ErrorKind::internal, fmt::format("cannot encode the headers of a delivery: {}", e.what())),
         std::move(job->owned_delivery));
    return nullptr;
  }
  job->delivery = &job->owned_delivery;
  job->forward_targets = &job->owned_targets;
  job->headers_json = job->owned_headers_json;
  job->on_done = std::move(done);
  return job;
}

}  // namespace

Result<Appended> Journal::append(const Delivery& delivery, const std::vector<std::string>& forward_targets) {
  Job job;
  job.kind = Job::Kind::append;
  job.delivery = &delivery;
  job.forward_targets = &forward_targets;
  // One buffer per thread: a caller waits for its append, so the buffer is free again afterwards.
  thread_local std::string headers_json;
  try {
    encode_headers(delivery.headers, headers_json);
    job.headers_json = headers_json;
  } catch (const std::exception& e) {
    return fail(ErrorKind::internal, fmt::format("cannot encode the headers of a delivery: {}", e.what()));
  }
  m_impl->submit(job);
  if (job.error) return std::unexpected(std::move(*job.error));
  return job.appended;
}

Journal::Batch::~Batch() {
  for (Job* job : m_jobs) {
    job->on_done(fail(ErrorKind::internal, "the delivery was never committed"), std::move(job->owned_delivery));
    delete job;
  }
}

void Journal::add(Batch& batch, Delivery delivery, std::vector<std::string> forward_targets, AppendDone done) {
  if (auto job = owned_append(std::move(delivery), std::move(forward_targets), done)) batch.m_jobs.push_back(job.release());
}

void Journal::commit(Batch& batch) {
  if (batch.m_jobs.empty()) return;
  // The outcomes are given under the lock too, so that batches committed by several threads
  // report in commit order.
  std::lock_guard writing(m_impl->m_writer_mutex);
  m_impl->commit_chunk(batch.m_jobs);
  m_impl->finish(batch.m_jobs);  // deletes the jobs
  batch.m_jobs.clear();
}

Result<void> Journal::record_attempt(const Attempt& attempt, ForwardState new_state) {
  Job job;
  job.kind = Job::Kind::attempt;
  job.attempt = &attempt;
  job.new_state = new_state;
  m_impl->submit(job);
  if (job.error) return std::unexpected(std::move(*job.error));
  return {};
}

void Journal::flush() {
  Job job;  // Kind::flush: done once everything queued before it is
  m_impl->submit(job);
}

}  // namespace ctg::store
