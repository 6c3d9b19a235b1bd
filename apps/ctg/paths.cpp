#include "paths.hpp"

#include <cstdlib>

#include "ctg/store/journal.hpp"

namespace ctg::app {

namespace {
std::string home() {
  const char* h = std::getenv("HOME");
  return h != nullptr && *h != '\0' ? h : ".";
}
std::string xdg(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v == '/') ? std::string(v) + "/ctg" : home() + fallback + "/ctg";
}
}  // namespace

std::string state_dir() { return xdg("XDG_STATE_HOME", "/.local/state"); }
std::string config_dir() { return xdg("XDG_CONFIG_HOME", "/.config"); }
std::string default_store_path() {
  return store::default_journal_path(std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
}

}  // namespace ctg::app
