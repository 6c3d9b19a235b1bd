// apps/ctg — the command table. Each <name>_command.cpp declares its flags into an options
// struct, and registers a Run that turns those options into calls into lib/ and a result.
// Nothing here is logic worth testing on its own: tests/cli runs the built binary.
//
// Two executables are built from these files. ctg-net has every command. ctg, the one users
// run, has the same command line but none of the network code (cpp-httplib, libssl): for a
// command that needs the network (listen, events replay, ...) its Run hands the command line
// over to ctg-net (handoff.cpp), so that every other command starts in a few milliseconds.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ctg/core/error.hpp"
#include "ctg/core/exit_code.hpp"
#include "ctg/output/console.hpp"

namespace ctg::app {

// Options every command honours; parsed before any command runs.
struct GlobalOptions {
  bool json = false;      // machine output on stdout
  bool no_color = false;  // also when NO_COLOR is set or the stream is not a terminal
  int verbose = 0;
  bool quiet = false;
};

struct Context {
  const GlobalOptions& global;
  output::Console& console;
  char** argv;  // the command line as given (null-terminated), for the hand-over to ctg-net
};

// A command's body: returns the exit code it ends with, or the error that stopped it (whose
// kind decides the exit code, see core/exit_code.hpp).
using Run = std::function<Result<ExitCode>(Context&)>;

class Registry {
 public:
  void add(CLI::App* command, Run run) { m_entries.push_back({command, std::move(run)}); }
  // The Run of the deepest parsed command, or nullptr.
  const Run* find(const CLI::App* command) const {
    for (const auto& entry : m_entries)
      if (entry.command == command) return &entry.run;
    return nullptr;
  }

 private:
  struct Entry {
    CLI::App* command;
    Run run;
  };
  std::vector<Entry> m_entries;
};

void add_sign_command(CLI::App& root, Registry& registry);
void add_verify_command(CLI::App& root, Registry& registry);
void add_fixtures_command(CLI::App& root, Registry& registry);
void add_completion_command(CLI::App& root, Registry& registry);
void add_listen_command(CLI::App& root, Registry& registry);
void add_events_command(CLI::App& root, Registry& registry);
void add_send_test_command(CLI::App& root, Registry& registry);
void add_check_command(CLI::App& root, Registry& registry);
void add_register_command(CLI::App& root, Registry& registry);
void add_login_command(CLI::App& root, Registry& registry);

}  // namespace ctg::app
