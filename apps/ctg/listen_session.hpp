// apps/ctg — one run of `ctg listen`: opens the journal, serves, forwards, shows, and stops
// cleanly on SIGINT/SIGTERM.
#pragma once

#include <string>

#include "command.hpp"
#include "ctg/listen/forwarder.hpp"
#include "ctg/listen/receiver.hpp"

namespace ctg::app {

struct ListenSettings {
  listen::ReceiverOptions receiver;
  listen::ForwarderOptions forwarder;
  std::string store;
  bool no_store = false;
  bool tls = false;
  bool print_body = false;
  std::string ready_file;
};

Result<ExitCode> run_listen_session(Context& context, ListenSettings& settings);

}  // namespace ctg::app
