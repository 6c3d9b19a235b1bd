#include "ctg/listen/forwarder.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "ctg/core/text.hpp"
#include "ctg/net/url.hpp"

namespace ctg::listen {

namespace {

constexpr std::size_t k_excerpt_bytes = 200;
// How long a worker waits before retrying after the journal itself failed (a read or a write).
constexpr std::chrono::milliseconds k_journal_retry{1000};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

// The first `max` bytes of `s`, cut before a UTF-8 sequence that would not fit whole.
std::string leading_bytes(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0U) == 0x80U) --end;
  return std::string(s.substr(0, end));
}

std::optional<int> parse_int(std::string_view s) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

std::optional<unsigned> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> k_months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < k_months.size(); ++i) {
    if (name == k_months[i]) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

// Seconds since midnight of "07:28:00".
std::optional<std::int64_t> parse_clock(std::string_view s) {
  auto parts = text::split(s, ':');
  if (parts.size() != 3) return std::nullopt;
  auto h = parse_int(parts[0]), m = parse_int(parts[1]), sec = parse_int(parts[2]);
  if (!h || !m || !sec || *h < 0 || *h > 23 || *m < 0 || *m > 59 || *sec < 0 || *sec > 60) return std::nullopt;
  return *h * 3600 + *m * 60 + *sec;
}

// An HTTP date in any of the three forms RFC 9110 asks recipients to accept, as Unix seconds:
// "Wed, 21 Oct 2026 07:28:00 GMT", "Wednesday, 21-Oct-26 07:28:00 GMT", "Wed Oct 21 07:28:00 2026".
std::optional<std::int64_t> parse_http_date(std::string_view value) {
  std::vector<std::string_view> tokens;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || value[i] == ' ' || value[i] == ',' || value[i] == '-') {
      if (i > start) tokens.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  if (tokens.size() < 5) return std::nullopt;
  std::optional<int> day, year;
  std::optional<unsigned> month;
  std::optional<std::int64_t> clock;
  if (month_number(tokens[1])) {  // asctime: weekday month day time year
    if (tokens.size() != 5) return std::nullopt;
    month = month_number(tokens[1]);
    day = parse_int(tokens[2]);
    clock = parse_clock(tokens[3]);
    year = parse_int(tokens[4]);
  } else {  // IMF-fixdate or RFC 850: weekday day month year time GMT
    if (tokens.size() != 6 || tokens[5] != "GMT") return std::nullopt;
    day = parse_int(tokens[1]);
    month = month_number(tokens[2]);
    year = parse_int(tokens[3]);
    clock = parse_clock(tokens[4]);
    if (year && tokens[3].size() == 2) *year += *year < 70 ? 2000 : 1900;
  }
  if (!day || !month || !year || !clock || *day < 1) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{*month},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{date}.time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(days).count() + *clock;
}

std::chrono::milliseconds seconds_to_ms(std::int64_t seconds) {
  constexpr std::int64_t k_max_seconds = std::numeric_limits<std::int64_t>::max() / 1000;
  return std::chrono::milliseconds{std::clamp<std::int64_t>(seconds, 0, k_max_seconds) * 1000};
}

enum class Health { unknown, up, down };

}  // namespace

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<std::chrono::milliseconds> retry_after, double random01) {
  const std::int64_t max = std::max<std::int64_t>(policy.max_delay.count(), 0);
  if (retry_after) return std::chrono::milliseconds{std::clamp<std::int64_t>(retry_after->count(), 0, max)};
  std::int64_t cap = std::clamp<std::int64_t>(policy.base_delay.count(), 0, max);
  for (int i = 1; i < attempt && cap < max; ++i) cap = std::min(cap * 2, max);
  const double r = random01 > 0.0 ? std::min(random01, 1.0) : 0.0;  // NaN too
  const auto jittered = static_cast<std::int64_t>(r * static_cast<double>(cap + 1));
  return std::chrono::milliseconds{std::min(jittered, cap)};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_unix) {
  value = text::trim(value);
  if (value.empty()) return std::nullopt;
  if (std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return std::chrono::milliseconds::max();
    if (ec != std::errc{} || ptr != value.data() + value.size()) return std::nullopt;
    return seconds_to_ms(seconds);
  }
  auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  return seconds_to_ms(*date - now_unix);
}

bool is_retryable_status(int status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

std::vector<std::string> targets_for(const std::vector<ForwardTarget>& targets, std::string_view event_type) {
  std::vector<std::string> out;
  if (event_type.empty()) return out;
  for (const auto& target : targets) {
    const bool wanted = target.events.empty() || std::ranges::any_of(target.events, [&](const std::string& glob) {
                          return text::glob_match(glob, event_type);
                        });
    if (wanted) out.push_back(target.url);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

struct Forwarder::Impl {
  // One target's worker: its own client, random source and health; only its thread touches them.
  struct Worker {
    ForwardTarget target;
    net::Url url;
    std::unique_ptr<net::Client> client;
    std::mt19937_64 rng;
    Health health = Health::unknown;
    std::thread thread;
  };

  Impl(store::Journal& journal, ForwardObserver& observer, RetryPolicy retry)
      : m_journal(journal), m_observer(observer), m_retry(retry) {}

  store::Journal& m_journal;
  ForwardObserver& m_observer;
  RetryPolicy m_retry;
  std::vector<std::unique_ptr<Worker>> m_workers;
  bool m_started = false;  // touched only by the owner's thread (start/stop)

  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;          // guarded by m_mutex
  std::uint64_t m_generation = 0;   // bumped by notify(); guarded by m_mutex

  void run(Worker& worker);
  void attempt(Worker& worker, const store::Forward& forward);
  void report_health(Worker& worker, bool answered, const std::string& error);

  std::uint64_t generation() {
    std::lock_guard lock(m_mutex);
    return m_generation;
  }
  // Waits until `deadline`, stop(), or (when `seen` is set) a notify() after generation `seen`.
  void wait(std::chrono::steady_clock::time_point deadline, std::optional<std::uint64_t> seen) {
    std::unique_lock lock(m_mutex);
    m_wake.wait_until(lock, deadline, [&] { return m_stopping || (seen && m_generation != *seen); });
  }
  void wait_for_notify(std::uint64_t seen) {
    std::unique_lock lock(m_mutex);
    m_wake.wait(lock, [&] { return m_stopping || m_generation != seen; });
  }
  bool stopping() {
    std::lock_guard lock(m_mutex);
    return m_stopping;
  }
};

void Forwarder::Impl::run(Worker& worker) {
  pthread_setname_np(pthread_self(), "ctg-forward");
  while (!stopping()) {
    const std::uint64_t seen = generation();  // read before the head, so no notify() is lost
    auto head = m_journal.head_of(worker.target.url);
    if (!head) {
      wait(std::chrono::steady_clock::now() + k_journal_retry, std::nullopt);
      continue;
    }
    if (!*head) {
      wait_for_notify(seen);
      continue;
    }
    const std::int64_t due_in = (*head)->next_attempt_at_ms - now_ms();
    if (due_in > 0) {
      wait(std::chrono::steady_clock::now() + std::chrono::milliseconds{due_in}, seen);
      continue;
    }
    attempt(worker, **head);
  }
}

void Forwarder::Impl::attempt(Worker& worker, const store::Forward& forward) {
  auto found = m_journal.find(forward.delivery_id);
  if (!found) {
    wait(std::chrono::steady_clock::now() + k_journal_retry, std::nullopt);
    return;
  }

  store::Attempt attempt{.forward_id = forward.id, .number = forward.attempts + 1, .started_at_ms = now_ms()};
  store::ForwardState state = store::ForwardState::failed;
  store::Delivery delivery;
  bool answered = false;  // for health: the target answered with something other than a 5xx
  bool target_failed = false;
  if (!*found) {
    // Cannot happen with an intact journal; failing the forward keeps the queue moving.
    delivery.id = forward.delivery_id;
    attempt.error = "delivery " + std::to_string(forward.delivery_id) + " is missing from the journal";
  } else {
    delivery = std::move(**found);
    net::HeaderList headers;
    std::string content_type = "application/json";
    for (const auto& [name, value] : delivery.headers) {
      if (iequals(name, "Contiguity-Signature")) headers.emplace_back(name, value);
      if (iequals(name, "Content-Type")) content_type = value;
    }
    headers.emplace_back("X-Ctg-Delivery-Id", std::to_string(delivery.id));
    for (const auto& [name, value] : worker.target.headers) {
      if (iequals(name, "Content-Type")) {
        content_type = value;
        continue;
      }
      std::erase_if(headers, [&](const auto& header) { return iequals(header.first, name); });
    }
    for (const auto& [name, value] : worker.target.headers) {
      if (!iequals(name, "Content-Type")) headers.emplace_back(name, value);
    }

    auto sent = worker.client->send("POST", worker.url.target, headers, delivery.body, content_type);
    std::optional<std::chrono::milliseconds> retry_after;
    bool retry = false;
    if (sent) {
      attempt.status = sent->status;
      attempt.latency_us = sent->latency.count();
      attempt.response_excerpt = leading_bytes(sent->body, k_excerpt_bytes);
      answered = sent->status < 500;
      if (sent->status >= 200 && sent->status < 300) {
        state = store::ForwardState::delivered;
      } else if (sent->is_redirect()) {
        auto location = sent->header("Location");
        attempt.error = location ? "redirected to " + *location + " (redirects are not followed)"
                                 : "HTTP " + std::to_string(sent->status) +
                                       " redirect without a Location (redirects are not followed)";
      } else {
        attempt.error = "HTTP " + std::to_string(sent->status);
        retry = is_retryable_status(sent->status);
        target_failed = !answered;
        if (auto value = sent->header("Retry-After")) retry_after = parse_retry_after(*value, now_ms() / 1000);
      }
    } else {
      attempt.latency_us = sent.error().latency.count();
      attempt.error = sent.error().message;
      retry = true;
      target_failed = true;
    }
    if (retry) {
      if (attempt.number < m_retry.max_attempts) {
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        auto delay = retry_delay(m_retry, attempt.number, retry_after, uniform(worker.rng));
        attempt.next_attempt_at_ms = now_ms() + delay.count();
        state = store::ForwardState::pending;
      } else {
        state = store::ForwardState::dead;
      }
    }
  }

  if (!m_journal.record_attempt(attempt, state)) {
    // The attempt could not be journaled; the forward stays as it was and is tried again later.
    wait(std::chrono::steady_clock::now() + k_journal_retry, std::nullopt);
    return;
  }
  store::Forward updated = forward;
  updated.state = state;
  updated.attempts = attempt.number;
  updated.next_attempt_at_ms = attempt.next_attempt_at_ms;
  updated.last_status = attempt.status;
  updated.last_error = attempt.error;
  updated.last_latency_us = attempt.latency_us;
  m_observer.on_attempt(delivery, updated, attempt, state);
  if (answered || target_failed) report_health(worker, answered, attempt.error);
}

void Forwarder::Impl::report_health(Worker& worker, bool answered, const std::string& error) {
  const Health before = worker.health;
  worker.health = answered ? Health::up : Health::down;
  if (before == worker.health || (answered && before == Health::unknown)) return;
  const std::int64_t waiting = m_journal.pending_count(worker.target.url).value_or(0);
  if (answered) {
    m_observer.on_target_up(worker.target.url, waiting);
  } else {
    m_observer.on_target_down(worker.target.url, error, waiting);
  }
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<Forwarder>> Forwarder::create(store::Journal& journal, ForwarderOptions options,
                                                     ForwardObserver& observer) {
  auto impl = std::make_unique<Impl>(journal, observer, options.retry);
  for (auto& target : options.targets) {
    auto url = net::parse_url(target.url);
    if (!url) return fail(ErrorKind::usage, "forward target " + target.url + ": " + url.error().message);
    for (const auto& other : impl->m_workers) {
      if (other->target.url == target.url || other->url.str() == url->str()) {
        return fail(ErrorKind::usage, "forward target given twice: " + target.url);
      }
    }
    auto client = net::Client::create(*url, options.client);
    if (!client) return std::unexpected(client.error());
    auto worker = std::make_unique<Impl::Worker>();
    worker->target = std::move(target);
    worker->url = std::move(*url);
    worker->client = std::move(*client);
    worker->rng.seed(std::random_device{}());
    impl->m_workers.push_back(std::move(worker));
  }
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(impl)));
}

Forwarder::Forwarder(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Forwarder::~Forwarder() { stop(); }

void Forwarder::start() {
  if (m_impl->m_started) return;
  {
    std::lock_guard lock(m_impl->m_mutex);
    m_impl->m_stopping = false;
  }
  m_impl->m_started = true;
  for (auto& worker : m_impl->m_workers) {
    worker->thread = std::thread([impl = m_impl.get(), w = worker.get()] { impl->run(*w); });
  }
}

void Forwarder::notify() {
  {
    std::lock_guard lock(m_impl->m_mutex);
    ++m_impl->m_generation;
  }
  m_impl->m_wake.notify_all();
}

void Forwarder::stop() {
  if (!m_impl->m_started) return;
  {
    std::lock_guard lock(m_impl->m_mutex);
    m_impl->m_stopping = true;
  }
  m_impl->m_wake.notify_all();
  for (auto& worker : m_impl->m_workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  m_impl->m_started = false;
}

}  // namespace ctg::listen
