// ctg::net — listening sockets and socket addresses in words, for servers that run their own
// event loop (http_server.cpp).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <string>

#include "ctg/core/error.hpp"

namespace ctg::net {

struct ListeningSocket {
  int fd = -1;    // non-blocking, close-on-exec; the caller closes it
  int port = 0;   // the port bound (the one picked, for port 0)
};

// Binds and listens: SO_REUSEADDR (a restart right after a load test binds at once), never
// SO_REUSEPORT (so a busy port is an error), backlog SOMAXCONN. Errors (io): "cannot bind
// 127.0.0.1:3000: address already in use", with a hint on what to do.
Result<ListeningSocket> listen_on(const std::string& host, int port);

// Raises the process's soft RLIMIT_NOFILE to its hard limit (a server's connections each take a
// descriptor; the usual soft limit of 1,024 is far below what a receiver may be asked to hold).
// Returns the soft limit in force afterwards (unchanged when raising was refused).
std::size_t raise_descriptor_limit();

// "127.0.0.1:53422", "[::1]:53422".
std::string address_text(const sockaddr_storage& address);

// A host as it stands in a URL or before ":port": IPv6 addresses in brackets.
std::string host_for_url(const std::string& host);

}  // namespace ctg::net
