// ctg::core — the exit-code contract, in one place.
//
//   0    success
//   1    the thing checked failed (non-2xx answer, bad signature, failed check)
//   2    usage or configuration error
//   3    could not run (network, TLS, I/O, server refused)
//   130  interrupted (SIGINT/SIGTERM)
//
// README.md and `ctg --help` print this table; tests/cli checks that they agree with the code.
#pragma once

#include <span>
#include <string_view>

#include "ctg/core/error.hpp"

namespace ctg {

enum class ExitCode : int { ok = 0, failed = 1, usage = 2, cannot_run = 3, interrupted = 130 };

// Returns the exit code a command ends with when it stops on an error of this kind.
ExitCode exit_code_for(ErrorKind kind);

struct ExitCodeDoc {
  ExitCode code;
  std::string_view meaning;
};

// The table above, for help texts and the README consistency test.
std::span<const ExitCodeDoc> exit_code_table();

}  // namespace ctg
