// net::Client against real loopback servers (httplib::Server, httplib::SSLServer) with
// certificates made by ctg::tls for the test.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "ctg/core/clock.hpp"
#include "ctg/core/file.hpp"
#include "ctg/net/http_client.hpp"
#include "ctg/tls/certificate.hpp"

using namespace ctg;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t k_day = 86400;
constexpr std::int64_t k_2019_01_01 = 1546300800;
constexpr std::int64_t k_2020_01_01 = 1577836800;
constexpr std::int64_t k_2040_01_01 = 2208988800;

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ctg-net-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

struct ServerFiles {
  std::string cert_file;
  std::string key_file;
};

// A CA, leaves it signed (good, expired, not yet valid, for another host) and a self-signed leaf,
// made once for the whole test binary and written to a temporary folder.
struct Pki {
  std::string dir = make_temp_dir();
  std::string ca_file;
  ServerFiles good, expired, not_yet_valid, wrong_host, self_signed, sha1_signed, rsa_1024;

  Pki() {
    const std::int64_t now = unix_now();
    const auto key = [] { return *tls::generate_key(tls::KeyType::ec_p256); };
    const auto ca = tls::self_signed(
        {.common_name = "ctg test CA", .not_before = now - k_day, .not_after = now + 30 * k_day, .is_ca = true}, key());
    REQUIRE(ca.has_value());
    ca_file = dir + "/ca.pem";
    REQUIRE(file::write_private(ca_file, ca->certificate_pem, 0644).has_value());

    const auto leaf = [&](const std::string& name, tls::CertificateSpec spec) {
      auto issued = tls::issue(spec, key(), *ca);
      REQUIRE(issued.has_value());
      return write(name, *issued);
    };
    const std::vector<std::string> local_names{"localhost"};
    const std::vector<std::string> local_ips{"127.0.0.1"};
    good = leaf("good", {.dns_names = local_names,
                         .ip_addresses = local_ips,
                         .not_before = now - k_day,
                         .not_after = now + 30 * k_day});
    expired = leaf(
        "expired",
        {.dns_names = local_names, .ip_addresses = local_ips, .not_before = k_2019_01_01, .not_after = k_2020_01_01});
    not_yet_valid = leaf("future", {.dns_names = local_names,
                                    .ip_addresses = local_ips,
                                    .not_before = k_2040_01_01,
                                    .not_after = k_2040_01_01 + 365 * k_day});
    wrong_host =
        leaf("wrong-host", {.dns_names = {"other.example"}, .not_before = now - k_day, .not_after = now + 30 * k_day});
    sha1_signed = leaf("sha1", {.ip_addresses = local_ips,
                                .not_before = now - k_day,
                                .not_after = now + 30 * k_day,
                                .digest = tls::Digest::sha1});
    auto weak_key = tls::generate_key(tls::KeyType::rsa_1024);
    REQUIRE(weak_key.has_value());
    auto weak = tls::issue({.ip_addresses = local_ips, .not_before = now - k_day, .not_after = now + 30 * k_day},
                           *weak_key, *ca);
    REQUIRE(weak.has_value());
    rsa_1024 = write("rsa-1024", *weak);
    auto self = tls::self_signed(
        {.dns_names = local_names, .ip_addresses = local_ips, .not_before = now - k_day, .not_after = now + 30 * k_day},
        key());
    REQUIRE(self.has_value());
    self_signed = write("self", *self);
  }
  ~Pki() { std::filesystem::remove_all(dir); }

  ServerFiles write(const std::string& name, const tls::Issued& issued) const {
    ServerFiles files{dir + "/" + name + ".pem", dir + "/" + name + "-key.pem"};
    REQUIRE(file::write_private(files.cert_file, issued.certificate_pem, 0644).has_value());
    REQUIRE(file::write_private(files.key_file, issued.private_key_pem).has_value());
    return files;
  }
};

const Pki& pki() {
  static const Pki instance;
  return instance;
}

// An httplib server on 127.0.0.1 and a free port, listening on its own thread until destroyed.
class TestServer {
 public:
  enum class Security { default_level, any_certificate };

  // `any_certificate` lowers the server's OpenSSL security level to 0, so that it can serve the
  // SHA-1 and RSA-1024 certificates that Debian's default level 2 refuses to load.
  explicit TestServer(const std::function<void(httplib::Server&)>& routes, const ServerFiles* tls = nullptr,
                      const std::string& host = "127.0.0.1", Security security = Security::default_level) {
    if (tls != nullptr && security == Security::any_certificate) {
      m_server = std::make_unique<httplib::SSLServer>([tls](SSL_CTX& context) {
        SSL_CTX_set_security_level(&context, 0);
        return SSL_CTX_use_certificate_chain_file(&context, tls->cert_file.c_str()) == 1 &&
               SSL_CTX_use_PrivateKey_file(&context, tls->key_file.c_str(), SSL_FILETYPE_PEM) == 1;
      });
    } else if (tls != nullptr) {
      m_server = std::make_unique<httplib::SSLServer>(tls->cert_file.c_str(), tls->key_file.c_str());
    } else {
      m_server = std::make_unique<httplib::Server>();
    }
    REQUIRE(m_server->is_valid());
    routes(*m_server);
    m_port = m_server->bind_to_any_port(host);
    REQUIRE(m_port > 0);
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
    while (!m_server->is_running()) std::this_thread::sleep_for(1ms);
  }
  ~TestServer() {
    m_server->stop();
    m_thread.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::string url(const std::string& scheme = "http", const std::string& host = "127.0.0.1") const {
    return fmt::format("{}://{}:{}", scheme, host, m_port);
  }

 private:
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
};

void hello(httplib::Server& server) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("hello", "text/plain"); });
}

std::unique_ptr<net::Client> client_for(const std::string& url, const net::ClientOptions& options = {}) {
  auto parsed = net::parse_url(url);
  REQUIRE(parsed.has_value());
  auto client = net::Client::create(*parsed, options);
  REQUIRE(client.has_value());
  return std::move(*client);
}

// GET / on `url`; the answer or the failure.
std::expected<net::Response, net::Failure> get(const std::string& url, const net::ClientOptions& options = {}) {
  return client_for(url, options)->send("GET", "/", {}, "");
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// A port on 127.0.0.1 nothing listens on.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("net::Client over HTTP") {
  std::mutex mutex;
  std::set<int> remote_ports;
  TestServer server([&](httplib::Server& s) {
    s.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      std::string out = req.method + " " + req.target + "\n";
      for (const char* name : {"X-Test", "Content-Type", "Content-Length", "Host", "User-Agent"}) {
        out += fmt::format("{}: {}\n", name, req.get_header_value(name));
      }
      res.set_content(out + "\n" + req.body, "text/plain");
      res.set_header("X-Echo", "yes");
    });
    s.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.status = 302;
      res.set_header("Location", "/elsewhere");
    });
    s.Get("/elsewhere",
          [](const httplib::Request&, httplib::Response& res) { res.set_content("followed", "text/plain"); });
    s.Get("/port", [&](const httplib::Request& req, httplib::Response& res) {
      const std::lock_guard lock(mutex);
      remote_ports.insert(req.remote_port);
      res.set_content("ok", "text/plain");
    });
    s.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100'000, 'x'), "text/plain");
    });
    s.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(300ms);
      res.set_content("late", "text/plain");
    });
  });

  SUBCASE("POST: headers and body arrive intact, the target is sent byte for byte") {
    auto client = client_for(server.url());
    const std::string body = std::string("{\"a\":\"b+c\"}\r\n\0tail", 18);
    auto answer = client->send("POST", "/echo?x=a+b%20c", {{"X-Test", "1"}, {"Content-Length", "999"}}, body);
    REQUIRE(answer.has_value());
    CHECK(answer->status == 200);
    CHECK(answer->header("x-echo") == "yes");
    CHECK(answer->header("CONTENT-TYPE") == "text/plain");
    CHECK_FALSE(answer->header("X-Missing").has_value());
    CHECK(answer->latency > 0us);
    const auto port = server.url().substr(server.url().rfind(':') + 1);
    const std::string expected_head =
        "POST /echo?x=a+b%20c\nX-Test: 1\nContent-Type: application/json\n"
        "Content-Length: 18\nHost: 127.0.0.1:" +
        port + "\nUser-Agent: ctg/";
    CHECK(answer->body.starts_with(expected_head));
    CHECK(answer->body.ends_with("\n\n" + body));
    CHECK(answer->body_size == answer->body.size());
  }

  SUBCASE("a given Content-Type and Host are kept") {
    auto answer = client_for(server.url())
                      ->send("POST", "/echo", {{"Content-Type", "text/csv"}, {"Host", "example.test"}}, "a,b",
                             "application/json");
    REQUIRE(answer.has_value());
    CHECK(answer->body.find("Content-Type: text/csv\n") != std::string::npos);
    CHECK(answer->body.find("Host: example.test\n") != std::string::npos);
  }

  SUBCASE("3xx is returned, not followed") {
    auto answer = client_for(server.url())->send("GET", "/moved", {}, "");
    REQUIRE(answer.has_value());
    CHECK(answer->status == 302);
    CHECK(answer->is_redirect());
    CHECK(answer->header("Location") == "/elsewhere");
  }

  SUBCASE("keep-alive: two requests, one connection") {
    auto client = client_for(server.url());
    REQUIRE(client->send("GET", "/port", {}, "").has_value());
    REQUIRE(client->send("GET", "/port", {}, "").has_value());
    const std::lock_guard lock(mutex);
    CHECK(remote_ports.size() == 1);
  }

  SUBCASE("the body kept is capped at max_body_kept") {
    auto answer = client_for(server.url(), {.max_body_kept = 1000})->send("GET", "/big", {}, "");
    REQUIRE(answer.has_value());
    CHECK(answer->body == std::string(1000, 'x'));
    CHECK(answer->body_size == 100'000);
  }

  SUBCASE("a slow answer times out, naming the limit") {
    auto answer = client_for(server.url(), {.timeout = 100ms})->send("GET", "/slow", {}, "");
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().kind == net::FailureKind::timeout);
    CHECK(answer.error().message == "timed out after 100 ms waiting for the answer");
    CHECK(answer.error().latency >= 100ms);
  }

  SUBCASE("https:// to a plain HTTP server") {
    auto answer = get(server.url("https"), {.connect_timeout = 1000ms});
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().kind == net::FailureKind::tls);
    CHECK(answer.error().message ==
          "TLS: handshake failed: wrong version number (the server may speak plain HTTP: try http://)");
  }
}

TEST_CASE("net::Client connection failures") {
  auto refused = get(fmt::format("http://127.0.0.1:{}", closed_port()));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == net::FailureKind::connect);
  CHECK(refused.error().message == "connection refused");
}

TEST_CASE("net::Client::create") {
  auto url = net::parse_url("https://localhost:1/");
  REQUIRE(url.has_value());
  auto missing = net::Client::create(*url, {.ca_file = "/nonexistent/ca.pem"});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == ErrorKind::io);
  CHECK(missing.error().message == "cannot read CA file /nonexistent/ca.pem: no such file or directory");

  auto not_pem = net::Client::create(*url, {.ca_file = pki().good.key_file});
  REQUIRE_FALSE(not_pem.has_value());
  CHECK(not_pem.error().kind == ErrorKind::usage);
  CHECK(not_pem.error().message == fmt::format("CA file {} holds no PEM certificate", pki().good.key_file));

  CHECK(net::Client::create(*url, {.insecure = true, .ca_file = "/nonexistent/ca.pem"}).has_value());
  CHECK(net::Client::create(*net::parse_url("http://localhost:1/"), {}).has_value());
}

TEST_CASE("net::Client over HTTPS") {
  const Pki& certs = pki();
  const net::ClientOptions trusting{.ca_file = certs.ca_file};

  SUBCASE("a leaf of the CA given with ca_file passes, by IP and by name") {
    TestServer server(hello, &certs.good);
    auto by_ip = get(server.url("https"), trusting);
    REQUIRE(by_ip.has_value());
    CHECK(by_ip->status == 200);
    CHECK(by_ip->body == "hello");
    auto by_name = get(server.url("https", "localhost"), trusting);
    REQUIRE(by_name.has_value());
    CHECK(by_name->body == "hello");
  }

  SUBCASE("keep-alive over TLS") {
    std::mutex mutex;
    std::set<int> ports;
    TestServer server(
        [&](httplib::Server& s) {
          s.Get("/", [&](const httplib::Request& req, httplib::Response& res) {
            const std::lock_guard lock(mutex);
            ports.insert(req.remote_port);
            res.set_content("ok", "text/plain");
          });
        },
        &certs.good);
    auto client = client_for(server.url("https"), trusting);
    REQUIRE(client->send("GET", "/", {}, "").has_value());
    REQUIRE(client->send("GET", "/", {}, "").has_value());
    const std::lock_guard lock(mutex);
    CHECK(ports.size() == 1);
  }

  SUBCASE("a private CA not given: unable to get local issuer certificate") {
    TestServer server(hello, &certs.good);
    auto answer = get(server.url("https"));
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().kind == net::FailureKind::tls);
    CHECK(answer.error().message ==
          "TLS: unable to get local issuer certificate \"ctg test CA\" (the server may not send its intermediate "
          "certificates; for a private CA pass --ca-file with it, or --insecure)");
  }

  SUBCASE("a self-signed leaf") {
    TestServer server(hello, &certs.self_signed);
    auto answer = get(server.url("https"));
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().message == "TLS: self-signed certificate (pass --ca-file with its CA, or --insecure)");
    // Trusting the certificate itself works.
    CHECK(get(server.url("https"), {.ca_file = certs.self_signed.cert_file}).has_value());
  }

  SUBCASE("an expired leaf") {
    TestServer server(hello, &certs.expired);
    auto answer = get(server.url("https"), trusting);
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().kind == net::FailureKind::tls);
    CHECK(answer.error().message == "TLS: certificate has expired (notAfter 2020-01-01)");
  }

  SUBCASE("a leaf not yet valid") {
    TestServer server(hello, &certs.not_yet_valid);
    auto answer = get(server.url("https"), trusting);
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error().message == "TLS: certificate is not yet valid (notBefore 2040-01-01)");
  }

  SUBCASE("a leaf for another host") {
    TestServer server(hello, &certs.wrong_host);
    auto by_ip = get(server.url("https"), trusting);
    REQUIRE_FALSE(by_ip.has_value());
    CHECK(by_ip.error().kind == net::FailureKind::tls);
    CHECK(by_ip.error().message == "TLS: certificate is for other.example, not 127.0.0.1");
    auto by_name = get(server.url("https", "localhost"), trusting);
    REQUIRE_FALSE(by_name.has_value());
    CHECK(by_name.error().message == "TLS: certificate is for other.example, not localhost");
  }

  SUBCASE("a SHA-1 signature and an RSA-1024 key are refused, even from a trusted CA") {
    {
      TestServer server(hello, &certs.sha1_signed, "127.0.0.1", TestServer::Security::any_certificate);
      auto answer = get(server.url("https"), trusting);
      REQUIRE_FALSE(answer.has_value());
      CHECK(answer.error().message == "TLS: certificate is signed with a digest too weak to trust (ecdsa-with-SHA1)");
      CHECK(get(server.url("https"), {.insecure = true}).has_value());
    }
    {
      TestServer server(hello, &certs.rsa_1024, "127.0.0.1", TestServer::Security::any_certificate);
      auto answer = get(server.url("https"), trusting);
      REQUIRE_FALSE(answer.has_value());
      CHECK(answer.error().message == "TLS: certificate has a key too small to trust (RSA 1024 bits)");
      CHECK(get(server.url("https"), {.insecure = true}).has_value());
    }
  }

  SUBCASE("insecure passes whatever the certificate") {
    for (const ServerFiles* files : {&certs.self_signed, &certs.expired, &certs.not_yet_valid, &certs.wrong_host}) {
      TestServer server(hello, files);
      auto answer = get(server.url("https"), {.insecure = true});
      REQUIRE(answer.has_value());
      CHECK(answer->body == "hello");
    }
  }

  SUBCASE("the certificate ctg listen --tls makes is trusted with --ca-file cert.pem") {
    const std::string dir = make_temp_dir();
    auto local = tls::ensure_local_certificate(dir, unix_now());
    REQUIRE(local.has_value());
    const ServerFiles files{local->cert_file, local->key_file};
    const net::ClientOptions options{.ca_file = local->cert_file};
    {
      TestServer server(hello, &files);
      CHECK(get(server.url("https"), options).has_value());
      CHECK(get(server.url("https", "localhost"), options).has_value());
    }
    if (ipv6_loopback_available()) {
      TestServer server(
          [](httplib::Server& s) {
            s.Get("/", [](const httplib::Request& req, httplib::Response& res) {
              res.set_content(req.get_header_value("Host"), "text/plain");
            });
          },
          &files, "::1");
      const std::string url = server.url("https", "[::1]");
      auto answer = get(url, options);
      REQUIRE(answer.has_value());
      CHECK(answer->body == url.substr(std::string("https://").size()));  // Host: [::1]:port
    }
    std::filesystem::remove_all(dir);
  }
}
