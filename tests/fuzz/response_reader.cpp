// Fuzz target: net::ResponseReader (lib/ctg/net/response_reader.hpp), the reader of answers that
// send-test's load mode drives over its own sockets.
//
// The input is what a server sent on one connection, pipelined answers, then the end of the
// stream. It is read as the load mode reads it: bytes arrive in pieces (whole, one at a time, and
// sizes drawn from the input), `in` holds everything since the last reset(), read() is called after
// each piece; after a complete answer its bytes are dropped and the reader reset(); at the end of
// the input read() is called once more with eof.
//
// Checks:
//   - read() ends (a hostile length or chunk size must not make it loop);
//   - on complete, consumed is at least the head and no more than `in`; status() is 200 to 999
//     (1xx answers are skipped), close() is true for an answer read until the end of the stream;
//   - calling read() again with the same bytes gives the same answer (no state is consumed twice);
//   - the three ways of receiving give the same answers (status, close, length) and the same end.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctg/net/response_reader.hpp"
#include "fuzz_support.hpp"

namespace {

using ctg::fuzz::check;
using ctg::net::ResponseReader;

struct Answer {
  int status = 0;
  bool close = false;
  std::size_t length = 0;
  bool operator==(const Answer&) const = default;
};

struct Outcome {
  std::vector<Answer> answers;
  ResponseReader::State last = ResponseReader::State::incomplete;
  bool operator==(const Outcome&) const = default;
};

// Reads `stream` in pieces of the sizes `piece` returns.
template <class Piece>
Outcome read_stream(std::string_view stream, Piece piece) {
  Outcome out;
  ResponseReader reader;
  std::string in;  // every byte since reset()
  std::size_t at = 0;
  while (true) {
    const bool eof = at == stream.size();
    if (!eof) {
      const std::size_t n = std::min(piece(), stream.size() - at);
      in.append(stream.substr(at, n));
      at += n;
    }
    std::size_t consumed = 0;
    const auto state = reader.read(in, eof, consumed);
    if (state == ResponseReader::State::malformed) {
      out.last = state;
      return out;
    }
    if (state == ResponseReader::State::incomplete) {
      check(!eof, "at the end of the stream an answer is complete or malformed");
      check(reader.read(in, false, consumed) == ResponseReader::State::incomplete,
            "read() again with the same bytes is still incomplete");
      continue;
    }
    check(consumed > 0 && consumed <= in.size(), "a complete answer takes some of the bytes, no more than all");
    check(reader.status() >= 200 && reader.status() <= 999, "a final answer's status is 200 to 999");
    out.answers.push_back({reader.status(), reader.close(), consumed});
    in.erase(0, consumed);
    reader.reset();
    if (out.answers.back().close || (at == stream.size() && in.empty())) {
      out.last = state;
      return out;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto stream = ctg::fuzz::as_text(data, size);
  const Outcome whole = read_stream(stream, [&] { return stream.size(); });
  const Outcome bytes = read_stream(stream, [] { return std::size_t{1}; });
  ctg::fuzz::Draw draw(ctg::fuzz::fnv1a(stream));
  const Outcome pieces = read_stream(stream, [&] { return draw.size(draw.next() % 4 == 0 ? 512 : 16); });
  check(whole == bytes, "the same answers whether the bytes come whole or one at a time");
  check(whole == pieces, "the same answers however the bytes are cut");
  return 0;
}
