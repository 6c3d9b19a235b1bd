// Fuzz target: net::parse_url (lib/ctg/net/url.hpp), the URLs of forward targets, send-test and
// check endpoints.
//
// The input is the text of a URL. Checks:
//   - accepted: scheme http or https, a non-empty lowercase host (an IPv6 address only when it
//     holds ':'), a port from 1, a target that starts with '/' and holds no '#', space or control;
//     str() parses back to the same URL, and is_ip_address() agrees with the host's form;
//   - refused: kind usage, a message; a URL with user-info is refused with the documented message,
//     which never repeats the URL (it holds a password).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ctg/net/url.hpp"
#include "fuzz_support.hpp"

namespace {

using ctg::fuzz::check;

bool same_url(const ctg::net::Url& a, const ctg::net::Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port && a.target == b.target;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = ctg::fuzz::as_text(data, size);
  const auto url = ctg::net::parse_url(text);
  if (!url) {
    check(url.error().kind == ctg::ErrorKind::usage && !url.error().message.empty(), "a refused URL says why");
    if (url.error().message.starts_with("URL contains a user name or password")) {
      check(url.error().message == "URL contains a user name or password, which ctg does not accept",
            "the user-info message does not repeat the URL");
    }
    return 0;
  }
  check(url->scheme == "http" || url->scheme == "https", "scheme http or https");
  check(!url->host.empty(), "a host");
  check(std::none_of(url->host.begin(), url->host.end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
        "the host is lowercase");
  check(url->port >= 1, "a port from 1");
  check(!url->target.empty() && url->target.front() == '/', "the target starts with '/'");
  check(url->target.find('#') == std::string::npos, "the fragment is dropped");
  check(std::none_of(url->target.begin(), url->target.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }),
        "no space or control in the target");
  const bool colon = url->host.find(':') != std::string::npos;
  check(!colon || ctg::net::is_ip_address(url->host), "a host with ':' is an IPv6 address");
  const std::string again = url->str();
  const auto reparsed = ctg::net::parse_url(again);
  check(reparsed.has_value(), "str() parses again");
  check(same_url(*url, *reparsed), "str() parses back to the same URL");
  check(reparsed->str() == again, "str() is stable");
  check(again.starts_with(url->origin()), "str() is origin() then the target");
  return 0;
}
