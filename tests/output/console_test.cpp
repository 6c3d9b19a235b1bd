#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "ctg/output/console.hpp"

using namespace ctg;

namespace {
// Captures what a Console writes, through real FILE streams.
struct Captured {
  char* out_buf = nullptr;
  std::size_t out_len = 0;
  char* err_buf = nullptr;
  std::size_t err_len = 0;
  std::FILE* out = open_memstream(&out_buf, &out_len);
  std::FILE* err = open_memstream(&err_buf, &err_len);
  ~Captured() {
    std::fclose(out);
    std::fclose(err);
    std::free(out_buf);
    std::free(err_buf);
  }
  std::string stdout_text() {
    std::fflush(out);
    return {out_buf, out_len};
  }
  std::string stderr_text() {
    std::fflush(err);
    return {err_buf, err_len};
  }
};
}  // namespace

TEST_CASE("output::Console keeps data on stdout and diagnostics on stderr") {
  Captured c;
  output::Console console(c.out, c.err, {});
  console.data_line("payload");
  console.warn("careful");
  console.error(Error{ErrorKind::usage, "bad flag", "run 'ctg help'"});
  console.note("hidden unless verbose");
  CHECK(c.stdout_text() == "payload\n");
  CHECK(c.stderr_text() == "ctg: warning: careful\nctg: error: bad flag\n  hint: run 'ctg help'\n");
}

TEST_CASE("output::Console verbosity") {
  Captured c;
  output::Console quiet(c.out, c.err, {.verbosity = output::Verbosity::quiet});
  quiet.warn("w");
  quiet.info("i");
  quiet.error(Error{ErrorKind::io, "e", ""});
  CHECK(c.stderr_text() == "ctg: error: e\n");
  Captured v;
  output::Console verbose(v.out, v.err, {.verbosity = output::Verbosity::verbose});
  verbose.note("detail");
  CHECK(v.stderr_text() == "ctg: detail\n");
}

TEST_CASE("output::Console redacts registered secrets everywhere") {
  Captured c;
  output::Console console(c.out, c.err, {});
  console.add_secret("whsec_abc");
  console.add_secret("whsec_abcdef");
  console.data_line("key=whsec_abcdef and whsec_abc");
  console.error(Error{ErrorKind::usage, "secret whsec_abc is wrong", ""});
  CHECK(c.stdout_text() == "key=[redacted] and [redacted]\n");
  CHECK(c.stderr_text().find("whsec_") == std::string::npos);
}

TEST_CASE("output::Console leaves secrets too short to hide, and keeps JSON readable") {
  Captured c;
  output::Console console(c.out, c.err, {});
  console.add_secret("s");
  console.add_secret("1234567");  // one byte short of k_min_redacted_secret
  console.add_secret("12345678");
  console.data_json(nlohmann::ordered_json{{"valid", false}, {"n", "1234567"}, {"key", "12345678"}});
  CHECK(c.stdout_text() == "{\"valid\":false,\"n\":\"1234567\",\"key\":\"[redacted]\"}\n");
}

TEST_CASE("output::Console writes JSON with invalid UTF-8 replaced, not a crash") {
  Captured c;
  output::Console console(c.out, c.err, {});
  console.data_json(nlohmann::ordered_json{{"header", std::string("t=\xff" "1")}});
  CHECK(c.stdout_text() == "{\"header\":\"t=\xef\xbf\xbd" "1\"}\n");
  Captured indented;
  output::Console pretty(indented.out, indented.err, {});
  pretty.data_json(nlohmann::ordered_json{{"a", 1}}, 2);
  CHECK(indented.stdout_text() == "{\n  \"a\": 1\n}\n");
}

TEST_CASE("output::Console paints only when colour is on") {
  Captured c;
  output::Console plain(c.out, c.err, {});
  CHECK(plain.paint_out(output::Tone::bad, "x") == "x");
  output::Console colored(c.out, c.err, {.stdout_color = output::Color::on});
  CHECK(colored.paint_out(output::Tone::bad, "x") == "\x1b[31mx\x1b[0m");
  CHECK(colored.paint_err(output::Tone::bad, "x") == "x");
}
