#include "ctg/sendtest/expectation.hpp"

#include <charconv>

#include <fmt/format.h>

#include "ctg/core/text.hpp"

namespace ctg::sendtest {

StatusExpectation::StatusExpectation() : m_ranges{{200, 299}}, m_items{"2xx"} {}

StatusExpectation StatusExpectation::client_error() {
  StatusExpectation e;
  e.m_ranges = {{400, 499}};
  e.m_items = {"4xx"};
  return e;
}

Result<StatusExpectation> StatusExpectation::parse(std::string_view spec) {
  StatusExpectation e;
  e.m_ranges.clear();
  e.m_items.clear();
  for (auto raw : text::split(spec, ',')) {
    const auto item = text::trim(raw);
    if (item.empty()) continue;
    std::string lower(item);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower.size() == 3 && lower[0] >= '1' && lower[0] <= '5' && lower.substr(1) == "xx") {
      const int base = (lower[0] - '0') * 100;
      e.m_ranges.emplace_back(base, base + 99);
      e.m_items.push_back(lower);
      continue;
    }
    int code = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (ec != std::errc() || end != item.data() + item.size()) {
      return fail(ErrorKind::usage,
                  fmt::format("--expect-status: \"{}\" is neither a status code nor a class like 2xx", item));
    }
    if (code < 100 || code > 599) {
      return fail(ErrorKind::usage, fmt::format("--expect-status: {} is not an HTTP status (100-599)", code));
    }
    e.m_ranges.emplace_back(code, code);
    e.m_items.push_back(lower);
  }
  if (e.m_ranges.empty()) {
    return fail(ErrorKind::usage, "--expect-status is empty", "give codes or classes, e.g. --expect-status 2xx,404");
  }
  return e;
}

bool StatusExpectation::matches(int status) const {
  for (const auto& [low, high] : m_ranges)
    if (status >= low && status <= high) return true;
  return false;
}

std::string StatusExpectation::describe() const {
  std::string out;
  for (std::size_t i = 0; i < m_items.size(); ++i) {
    if (i > 0) out += " or ";
    out += m_items[i];
  }
  return out;
}

}  // namespace ctg::sendtest
