#include "ctg/net/response_reader.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "ctg/core/text.hpp"

namespace ctg::net {

namespace {

constexpr std::size_t k_max_head = 64 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

void ResponseReader::reset() {
  m_phase = Phase::head;
  m_status = 0;
  m_close = false;
  m_extra = 0;
}

ResponseReader::State ResponseReader::finish() {
  m_extra = 0;
  return State::complete;
}

ResponseReader::State ResponseReader::read(std::string_view in, bool eof, std::size_t& consumed) {
  in.remove_prefix(std::min(m_extra, in.size()));  // 1xx answers already read
  while (true) {
    if (m_phase == Phase::head) {
      const auto end = in.find("\r\n\r\n");
      if (end == std::string_view::npos) return in.size() > k_max_head || eof ? State::malformed : State::incomplete;
      if (!parse_head(in.substr(0, end + 2))) return State::malformed;
      m_body_at = end + 4;
      if (m_status >= 100 && m_status < 200) {  // 100 Continue and the like: the answer follows
        in.remove_prefix(m_body_at);
        m_extra += m_body_at;
        continue;
      }
      if (m_status == 204 || m_status == 304) {
        m_phase = Phase::done;
      } else if (m_chunked) {
        m_phase = Phase::chunked;
        m_chunk_at = m_body_at;
      } else if (m_length) {
        m_phase = Phase::length;
      } else {
        m_phase = Phase::until_close;
        m_close = true;
      }
    }
    switch (m_phase) {
      case Phase::done:
        consumed = m_extra + m_body_at;
        return finish();
      case Phase::length:
        if (in.size() - m_body_at < *m_length) return eof ? State::malformed : State::incomplete;
        consumed = m_extra + m_body_at + *m_length;
        return finish();
      case Phase::until_close:
        if (!eof) return State::incomplete;
        consumed = m_extra + in.size();
        return finish();
      case Phase::chunked:
        return read_chunks(in, eof, consumed);
      case Phase::head:
        break;
    }
  }
}

bool ResponseReader::parse_head(std::string_view head) {
  m_length.reset();
  m_chunked = false;
  m_close = false;
  const auto line_end = head.find("\r\n");
  const auto status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') return false;
  const auto code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, m_status).ec != std::errc() || m_status < 100) return false;
  const bool http10 = status_line[7] == '0';
  m_close = http10;
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const auto end = head.find("\r\n", pos);
    const auto line = head.substr(pos, end - pos);
    pos = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const auto name = lower(text::trim(line.substr(0, colon)));
    const auto value = text::trim(line.substr(colon + 1));
    if (name == "content-length") {
      std::uint64_t n = 0;
      if (std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc()) return false;
      m_length = n;
    } else if (name == "transfer-encoding") {
      m_chunked = lower(value).find("chunked") != std::string::npos;
    } else if (name == "connection") {
      const auto v = lower(value);
      if (v.find("close") != std::string::npos) m_close = true;
      if (v.find("keep-alive") != std::string::npos) m_close = false;
    }
  }
  return true;
}

ResponseReader::State ResponseReader::read_chunks(std::string_view in, bool eof, std::size_t& consumed) {
  while (true) {
    const auto line_end = in.find("\r\n", m_chunk_at);
    if (line_end == std::string_view::npos) return eof ? State::malformed : State::incomplete;
    const auto size_text = in.substr(m_chunk_at, line_end - m_chunk_at);
    std::uint64_t size = 0;
    const auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || ptr == size_text.data()) return State::malformed;
    if (size == 0) {
      const auto trailers_end = in.find("\r\n\r\n", line_end);
      if (in.substr(line_end, 4) == "\r\n\r\n" || trailers_end != std::string_view::npos) {
        consumed = m_extra + (trailers_end == std::string_view::npos ? line_end + 4 : trailers_end + 4);
        return finish();
      }
      return eof ? State::malformed : State::incomplete;
    }
    // Compared before adding: a size near 2^64 must not wrap the offset around.
    const std::size_t data_at = line_end + 2;
    if (size > in.size() - data_at || in.size() - data_at - size < 2) {
      return eof ? State::malformed : State::incomplete;
    }
    const std::size_t data_end = data_at + size;
    if (in.substr(data_end, 2) != "\r\n") return State::malformed;  // the data is longer than its size says
    m_chunk_at = data_end + 2;
  }
}

}  // namespace ctg::net
