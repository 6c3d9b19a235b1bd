// ctg::signing::detail — a JSON body as a JSON library would print it again, streamed, for the
// diagnosis of a body re-serialised between signing and verifying (diagnosis.cpp).
//
// reserialise_json() produces, in one pass over the text and without building a document, the
// bytes nlohmann::ordered_json::parse(body).dump() (JsonLayout::compact) or .dump(2)
// (JsonLayout::indented) would return: members in their order, strings re-escaped as dump() does
// (\" \\ \b \f \n \r \t, \u00XX for other control characters, everything else raw, \uXXXX escapes
// of the input decoded), numbers as the parser keeps them and dump() prints them. The output goes
// to a sink in pieces and is never held whole, so an indented form many times the size of the body
// costs no memory; it stops at a cap. Pure and thread-safe; throws nothing but std::bad_alloc
// (and what the sink throws).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace ctg::signing::detail {

enum class JsonLayout {
  compact,   // dump(): no whitespace
  indented,  // dump(2): a member or element per line, 2 spaces per level, ": " after keys
};

enum class Reserialised {
  done,       // the sink received the whole output
  refused,    // not JSON nlohmann parses, or not sure to print as it would (see below)
  too_large,  // the output would exceed `max_output` bytes
};

// Streams the re-serialised form of `body` to `sink`, in pieces of up to about 16 KiB (a long
// string may come in one piece of its own), never more than `max_output` bytes in all.
// Refused: whatever nlohmann's parser refuses (syntax, invalid UTF-8, control characters in
// strings, lone surrogate escapes, numbers out of range, trailing data); nesting deeper than 64;
// a key repeated in an object; a number whose value the parser keeps in a way this is not sure of
// (a fraction that underflows). A leading UTF-8 byte order mark is skipped, as the parser skips it.
// Unless the result is `done`, what the sink received is a prefix of no use: discard it.
Reserialised reserialise_json(std::string_view body, JsonLayout layout, std::size_t max_output,
                              const std::function<void(std::string_view)>& sink);

}  // namespace ctg::signing::detail
