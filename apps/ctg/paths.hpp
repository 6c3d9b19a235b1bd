// apps/ctg — where ctg keeps things, per XDG: state (journal, generated TLS certificate) in
// $XDG_STATE_HOME/ctg (default ~/.local/state/ctg), configuration in $XDG_CONFIG_HOME/ctg
// (default ~/.config/ctg).
#pragma once

#include <string>

namespace ctg::app {

std::string state_dir();
std::string config_dir();
std::string default_store_path();  // state_dir() + "/events.db"

}  // namespace ctg::app
