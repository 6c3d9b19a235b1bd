#include "ctg/net/socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace ctg::net {

std::string host_for_url(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? SIZE_MAX : std::size_t{limit.rlim_cur};
}

std::string address_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(in.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(in6.sin6_port));
  }
  return "unknown";
}

Result<ListeningSocket> listen_on(const std::string& host, int port) {
  const std::string where = port == 0 ? host : fmt::format("{}:{}", host_for_url(host), port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const auto service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return fail(ErrorKind::io, fmt::format("cannot bind {}: cannot resolve {}: {}", where, host, ::gai_strerror(rc)));
  }
  ListeningSocket out;
  int err = 0;
  for (const addrinfo* a = found; a != nullptr && out.fd < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      out.fd = fd;
    } else {
      err = errno;
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (out.fd < 0) {
    switch (err) {
      case EADDRINUSE:
        return fail(ErrorKind::io, fmt::format("cannot bind {}: address already in use", where),
                    "another program listens there (another ctg listen?): stop it or choose another port");
      case EACCES:
        return fail(ErrorKind::io, fmt::format("cannot bind {}: permission denied", where),
                    "ports below 1024 need privileges: choose another port");
      case EADDRNOTAVAIL:
        return fail(ErrorKind::io, fmt::format("cannot bind {}: address not available on this machine", where),
                    "check the host address");
      default:
        return fail(ErrorKind::io, fmt::format("cannot bind {}: {}", where, std::strerror(err)));
    }
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(out.fd, reinterpret_cast<sockaddr*>(&bound), &length);
  out.port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(bound).sin6_port
                                               : reinterpret_cast<const sockaddr_in&>(bound).sin_port);
  return out;
}

}  // namespace ctg::net
