// apps/ctg — `ctg events`: the flags of its subcommands, and the journal lookups they share.
// events_command.cpp runs list, show and to-fixture; events_replay.cpp runs replay (network).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/store/journal.hpp"
#include "secrets.hpp"

namespace ctg::app {

struct EventsFlags {
  std::string store;
  // list
  std::string type, since, status;
  std::size_t limit = 50;
  // show / to-fixture / replay
  std::vector<std::string> ids;
  bool raw = false;
  std::string output;
  // replay
  std::string to;
  bool resign = false;
  SecretFlags secrets;
  std::vector<std::string> headers;
  net::ClientOptions client;
};

// The journal at --store (or the default path); a usage error when there is none yet.
Result<std::unique_ptr<store::Journal>> open_journal(const EventsFlags& flags);

// A journal id ("12") or an event id ("evt_..."); a usage error when the journal has neither.
Result<store::Delivery> find_delivery(store::Journal& journal, const std::string& id);

// `ctg events replay`: in ctg-net events_replay.cpp, in the front-end a hand-over (handoff.cpp).
Run replay_run(std::shared_ptr<EventsFlags> flags);

}  // namespace ctg::app
