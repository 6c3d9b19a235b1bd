// ctg::output — what `ctg listen` shows: one line per delivery and per forward outcome, as text
// for a terminal or as one JSON object per line (--json; schema in README.md).
//
// What came with a request (type, id, summary, hints, schema issues, method, path, rejection,
// body, a target's error) is untrusted: text lines show it through text::terminal_safe (bodies
// keep their line breaks), JSON lines through the encoder and text::json_terminal_safe, so no
// escape sequence or bidirectional override a sender wrote reaches the terminal.
//
// Threading: the receiver's display thread and the forwarder's workers call in concurrently;
// every method takes one lock, so lines never interleave.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "ctg/listen/forwarder.hpp"
#include "ctg/listen/receiver.hpp"
#include "ctg/output/console.hpp"

namespace ctg::output {

struct ListenRenderOptions {
  bool json = false;
  bool print_body = false;
  bool verbose = false;  // also show retries that were scheduled
};

struct ReadyInfo {
  std::string url;
  std::string store;                  // journal path; empty with --no-store
  bool verifying = false;             // a secret is configured
  std::size_t secrets = 0;
  std::string tls_fingerprint;        // when serving TLS
  std::string tls_cert_file;
  bool tls_generated = false;
  std::vector<std::string> targets;
};

class ListenRenderer final : public listen::ReceiverObserver, public listen::ForwardObserver {
 public:
  ListenRenderer(Console& console, ListenRenderOptions options);

  void on_ready(const ReadyInfo& info);
  // Closing words: how many requests this run received, and forwards left pending.
  void on_stopped(std::int64_t pending_forwards);

  void on_delivery(const listen::DeliveryReport& report) override;
  void on_skipped(std::int64_t count) override;
  void on_drained() override;
  void on_journal_error(const Error& error) override;
  void on_attempt(const store::Delivery& delivery, const store::Forward& forward, const store::Attempt& attempt,
                  store::ForwardState final_state) override;
  void on_target_down(const std::string& target, const std::string& error, std::int64_t waiting) override;
  void on_target_up(const std::string& target, std::int64_t waiting) override;

 private:
  Console& m_console;
  ListenRenderOptions m_options;
  std::mutex m_mutex;
  std::int64_t m_deliveries = 0;
};

// "13:42:07" in local time, from Unix milliseconds.
std::string clock_time(std::int64_t unix_ms);
// "2026-11-29T13:42:07.123Z"
std::string iso_time(std::int64_t unix_ms);

}  // namespace ctg::output
