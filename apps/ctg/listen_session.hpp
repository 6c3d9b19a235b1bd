// apps/ctg — one run of `ctg listen`: applies the config file, opens the journal, serves,
// forwards, shows, and stops cleanly on SIGINT/SIGTERM.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "ctg/listen/forwarder.hpp"
#include "ctg/listen/receiver.hpp"
#include "secrets.hpp"

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

struct ListenFlags {
  ListenSettings settings;
  SecretFlags secrets;
  std::vector<std::string> forward_specs;
  std::vector<std::string> header_specs;
  std::string events;
  std::string config_file;
  int read_timeout_seconds = 5;  // ReceiverOptions::read_timeout
};

// `ctg listen`: in ctg-net the session below, in the front-end a hand-over (handoff.cpp).
Run listen_run(std::shared_ptr<ListenFlags> flags, const CLI::App& command);

}  // namespace ctg::app
