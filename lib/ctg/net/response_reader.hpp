// ctg::net — reads one HTTP/1.1 answer as its bytes arrive, for clients that drive their own
// sockets (send-test's load mode): the status, the framing (Content-Length, chunked, until close;
// no body for 204 and 304), and whether the connection closes after it. Interim 1xx answers are
// skipped. A head over 64 KiB is malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ctg::net {

class ResponseReader {
 public:
  enum class State { incomplete, complete, malformed };

  // Ready for the next answer on the connection.
  void reset();

  // `in` holds every byte that arrived since reset() (more each call); `eof` when the peer closed.
  // On complete, the answer took the first `consumed` bytes of `in`.
  State read(std::string_view in, bool eof, std::size_t& consumed);

  int status() const { return m_status; }
  bool close() const { return m_close; }  // the connection ends after this answer

 private:
  enum class Phase { head, length, chunked, until_close, done };

  State finish();
  bool parse_head(std::string_view head);
  State read_chunks(std::string_view in, bool eof, std::size_t& consumed);

  Phase m_phase = Phase::head;
  int m_status = 0;
  bool m_close = false;
  bool m_chunked = false;
  std::optional<std::uint64_t> m_length;
  std::size_t m_body_at = 0;   // in the current answer
  std::size_t m_chunk_at = 0;  // in the current answer
  std::size_t m_extra = 0;     // bytes of 1xx answers before the current one
};

}  // namespace ctg::net
