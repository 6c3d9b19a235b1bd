// The ceiling of cpp-httplib (Debian's 0.11) on this machine, for bench/listen.sh: the options
// ctg listen uses (TCP_NODELAY, long keep-alive, a thread per connection), answering every POST
// with 200 and doing nothing else: no verification, no JSON, no journal.
// Build: g++ -O2 -std=c++17 httplib_bare.cpp $(pkg-config --cflags --libs cpp-httplib) -pthread
#include <httplib.h>

#include <cstdlib>

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 3400;
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(10000);
  server.Post("/contiguity/webhook", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"received":true})", "application/json");
  });
  return server.listen("127.0.0.1", port) ? 0 : 1;
}
