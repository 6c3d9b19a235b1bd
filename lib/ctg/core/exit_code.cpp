#include "ctg/core/exit_code.hpp"

#include <array>

namespace ctg {

ExitCode exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::check_failed: return ExitCode::failed;
    case ErrorKind::usage:
    case ErrorKind::invalid_input: return ExitCode::usage;
    case ErrorKind::network:
    case ErrorKind::tls:
    case ErrorKind::io:
    case ErrorKind::refused:
    case ErrorKind::internal: return ExitCode::cannot_run;
    case ErrorKind::interrupted: return ExitCode::interrupted;
  }
  return ExitCode::cannot_run;
}

std::span<const ExitCodeDoc> exit_code_table() {
  static constexpr std::array<ExitCodeDoc, 5> k_table{{
      {ExitCode::ok, "success"},
      {ExitCode::failed, "the thing checked failed (non-2xx answer, bad signature, failed check)"},
      {ExitCode::usage, "usage or configuration error"},
      {ExitCode::cannot_run, "could not run (network, TLS, I/O, server refused)"},
      {ExitCode::interrupted, "interrupted (SIGINT/SIGTERM)"},
  }};
  return k_table;
}

}  // namespace ctg
