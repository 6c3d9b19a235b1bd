#include "ctg/check/checker.hpp"

#include <openssl/tls1.h>

#include <algorithm>
#include <array>
#include <future>
#include <map>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "ctg/check/probe.hpp"
#include "ctg/core/text.hpp"
#include "ctg/events/fixtures.hpp"
#include "ctg/signing/signature.hpp"
#include "ctg/tls/certificate.hpp"

namespace ctg::check {

namespace {

using std::chrono::milliseconds;

constexpr std::int64_t k_day = 86'400;
constexpr milliseconds k_sender_timeout{5'000};  // design.md: "target < 5 s"
constexpr std::string_view k_sample_type = "text.incoming.sms";
constexpr std::string_view k_forged_secret = "whsec_ctg_check_forged_signature";

// Ciphers no sender should be able to negotiate: no encryption, no authentication, export grade,
// DES, RC4. Whichever of them this machine's OpenSSL still has are offered.
constexpr const char* k_weak_ciphers = "eNULL:aNULL:EXPORT:LOW:DES:RC4:@SECLEVEL=0";
constexpr const char* k_3des_ciphers = "3DES:@SECLEVEL=0";
constexpr const char* k_128_bit_ciphers = "AES128:CAMELLIA128:ARIA128:SEED:-aNULL:-eNULL:@SECLEVEL=0";

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string date_text(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%d}", tm);
}

double ms(Micros us) {
  return static_cast<double>(us.count()) / 1000.0;
}

Finding make(std::string id, std::string title, Severity severity, std::string message, std::string fix = {}) {
  return Finding{std::move(id), std::move(title), severity, std::move(message), std::move(fix)};
}

bool is_ip_literal(const std::string& host) {
  return host.find(':') != std::string::npos ||
         std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string host_header(const net::Url& url) {
  const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const bool default_port = (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
  return default_port ? host : fmt::format("{}:{}", host, url.port);
}

std::string sample_body(std::int64_t now) {
  const auto fixture = events::find_fixture(k_sample_type);
  events::InstantiateOptions instantiate;
  instantiate.id = events::new_event_id();
  instantiate.timestamp = now;
  instantiate.pretty = false;
  auto body = fixture ? events::instantiate(*fixture, instantiate) : Result<std::string>(std::string());
  return body ? *body : std::string(R"({"id":"evt_ctgcheck","type":"text.incoming.sms","data":{}})");
}

// A whole POST request, closing the connection after its answer.
std::string post_request(const CheckOptions& o, const std::string& body, const std::optional<std::string>& signature) {
  std::string request = fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nContent-Type: application/json\r\n"
                                    "Content-Length: {}\r\nX-Ctg-Test: true\r\n",
                                    o.url.target, host_header(o.url), o.user_agent, body.size());
  if (signature) request += fmt::format("{}: {}\r\n", signing::k_header_name, *signature);
  request += "Connection: close\r\n\r\n";
  request += body;
  return request;
}

std::string answer_excerpt(const Answer& answer) {
  const std::string body = text::excerpt(answer.body, 80);
  return body.empty() ? std::string() : fmt::format(": {}", body);
}

// What the probes found, gathered for judging.
struct Probes {
  ProbeResult main;
  std::map<int, ProbeResult> versions;  // TLS1_3_VERSION, ..., SSL3_VERSION
  std::optional<ProbeResult> weak, triple_des, bits_128, forged;
  bool signed_sample = false;
};

TlsParams params_for(const CheckOptions& o) {
  TlsParams params;
  if (!is_ip_literal(o.url.host)) params.server_name = o.url.host;
  return params;
}

Probes run_probes(const CheckOptions& o, const std::vector<Address>& addresses) {
  Probes p;
  const auto base = params_for(o);
  const std::string body = sample_body(o.now);
  p.signed_sample = o.secret.has_value();
  const std::optional<std::string> signature =
      o.secret ? std::optional(signing::sign(*o.secret, o.now, body)) : std::nullopt;
  const std::string request = post_request(o, body, signature);

  auto launch = [&](TlsParams params, const std::string* req) {
    return std::async(std::launch::async, [&addresses, &o, params = std::move(params), req] {
      return probe(addresses, o.url.port, params, o.timeout, req);
    });
  };
  // The main connection offers what a sender's client offers (OpenSSL's defaults), so that the
  // cipher it negotiates is the one deliveries would use; security level 0 still lets it see
  // a weak certificate instead of refusing it.
  TlsParams main_params = base;
  main_params.ocsp = true;
  main_params.cipher_list = "DEFAULT:@SECLEVEL=0";
  auto main = launch(main_params, &request);

  std::map<int, std::future<ProbeResult>> versions;
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION, TLS1_1_VERSION, TLS1_VERSION, SSL3_VERSION}) {
    TlsParams params = base;
    params.min_version = version;
    params.max_version = version;
    versions.emplace(version, launch(params, nullptr));
  }
  auto cipher_probe = [&](const char* ciphers) {
    TlsParams params = base;
    params.max_version = TLS1_2_VERSION;
    params.cipher_list = ciphers;
    return launch(params, nullptr);
  };
  auto weak = cipher_probe(k_weak_ciphers);
  auto triple_des = cipher_probe(k_3des_ciphers);
  auto bits_128 = cipher_probe(k_128_bit_ciphers);
  std::string forged_request;
  std::optional<std::future<ProbeResult>> forged;
  if (o.secret) {
    const std::string forged_body = sample_body(o.now);
    forged_request = post_request(o, forged_body, signing::sign(k_forged_secret, o.now, forged_body));
    forged = launch(base, &forged_request);
  }

  p.main = main.get();
  for (auto& [version, future] : versions) p.versions.emplace(version, future.get());
  p.weak = weak.get();
  p.triple_des = triple_des.get();
  p.bits_128 = bits_128.get();
  if (forged) p.forged = forged->get();
  return p;
}

// ---- certificate findings ----------------------------------------------------------------------

Finding judge_chain(const Trust& trust, const TrustStore& store, const tls::CertificateInfo& leaf) {
  const std::string title = "Chain of trust";
  const bool private_store = !store.ca_file.empty();
  switch (trust.outcome) {
    case Trust::Outcome::trusted:
      if (private_store) {
        const std::string what = leaf.self_issued && trust.chain_length <= 1
                                     ? "a self-signed certificate"
                                     : fmt::format("a chain to {}", trust.anchor);
        return make("chain", title, Severity::warn,
                    fmt::format("{} trusted only through --ca-file: fine for local work, but the platform will not "
                                "trust it",
                                what),
                    "for production, use a certificate from a public CA (Let's Encrypt, for one)");
      }
      return make("chain", title, Severity::pass,
                  fmt::format("chains to {} ({} certificate{} served)", trust.anchor, trust.served,
                              trust.served == 1 ? "" : "s"));
    case Trust::Outcome::incomplete:
      return make("chain", title, Severity::fail,
                  fmt::format("incomplete chain: the server sent {} certificate{} and not the intermediate "
                              "certificate \"{}\" that leads to a trusted root; a sender does not fetch missing "
                              "intermediates{}",
                              trust.served, trust.served == 1 ? "" : "s", trust.last_issuer,
                              private_store ? "" : " (or the CA is private: pass it with --ca-file for local work)"),
                  "serve the full chain: the leaf followed by every intermediate (fullchain.pem)");
    case Trust::Outcome::self_signed:
      return make("chain", title, Severity::fail, "self-signed certificate: no sender trusts it",
                  "use a certificate from a public CA; for local work pass it with --ca-file");
    case Trust::Outcome::untrusted_root:
      return make("chain", title, Severity::fail,
                  fmt::format("the chain ends in \"{}\", a root {} does not trust", trust.anchor,
                              private_store ? "the --ca-file" : "this machine"),
                  "use a certificate from a public CA; for a private CA pass it with --ca-file");
    case Trust::Outcome::invalid:
      break;
  }
  return make("chain", title, Severity::fail, fmt::format("the chain does not verify: {}", trust.detail),
              "serve a valid chain from a public CA");
}

Finding judge_hostname(bool matches, const std::string& host, const tls::CertificateInfo& leaf) {
  std::vector<std::string> names = leaf.dns_names;
  names.insert(names.end(), leaf.ip_addresses.begin(), leaf.ip_addresses.end());
  if (names.empty() && !leaf.subject_cn.empty()) names.push_back(leaf.subject_cn + " (CN only, which clients ignore)");
  const std::string listed = names.empty() ? "no name" : join(names, ", ");
  if (matches) return make("hostname", "Hostname", Severity::pass, fmt::format("{} matches the certificate", host));
  return make("hostname", "Hostname", Severity::fail, fmt::format("the certificate is for {}, not {}", listed, host),
              fmt::format("get a certificate whose subjectAltName includes {}", host));
}

Finding judge_signature(const std::vector<tls::CertificateInfo>& served) {
  for (std::size_t i = 0; i < served.size(); ++i) {
    const auto& cert = served[i];
    if (i > 0 && cert.self_issued && cert.is_ca) continue;  // a root's own signature is not checked by clients
    std::string algorithm = cert.signature_algorithm;
    std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(), [](unsigned char c) { return std::tolower(c); });
    if (algorithm.find("sha1") != std::string::npos || algorithm.find("md5") != std::string::npos ||
        algorithm.find("md2") != std::string::npos) {
      return make("signature", "Certificate signature", Severity::fail,
                  fmt::format("{} is signed with {}, which clients no longer accept",
                              i == 0 ? std::string("the certificate") : fmt::format("intermediate \"{}\"", cert.subject_cn),
                              cert.signature_algorithm),
                  "reissue the certificate signed with SHA-256");
    }
  }
  return make("signature", "Certificate signature", Severity::pass,
              served.empty() ? std::string("no certificate") : served.front().signature_algorithm);
}

Finding judge_lifetime(const tls::CertificateInfo& leaf) {
  const std::int64_t days = (leaf.not_after - leaf.not_before) / k_day;
  if (days > 398) {
    return make("lifetime", "Certificate lifetime", Severity::info,
                fmt::format("{} days: longer than the 398 days public CAs may issue", days));
  }
  return make("lifetime", "Certificate lifetime", Severity::info, fmt::format("{} days", days));
}

// ---- protocol and cipher findings --------------------------------------------------------------

bool offered(const ProbeResult& r) {
  return r.handshake_ok();
}

// A probe that got no answer either way: the connection failed, or this side could not offer it.
std::optional<std::string> inconclusive(const ProbeResult& r) {
  if (r.local_unsupported) return "this machine's OpenSSL cannot offer it";
  if (r.reached == ProbeResult::Stage::connect) return r.error;
  return std::nullopt;
}

Finding judge_version(const std::string& id, const std::string& title, const ProbeResult& r, int version) {
  if (auto why = inconclusive(r)) {
    return make(id, title, Severity::skip, fmt::format("not probed: {}", *why));
  }
  const bool on = offered(r);
  switch (version) {
    case TLS1_3_VERSION:
      return on ? make(id, title, Severity::pass, "offered")
                : make(id, title, Severity::info, "not offered (TLS 1.3 saves a round trip on every new connection)");
    case TLS1_2_VERSION:
      return make(id, title, on ? Severity::pass : Severity::info, on ? "offered" : "not offered");
    case TLS1_1_VERSION:
    case TLS1_VERSION:
      if (!on) return make(id, title, Severity::pass, "not offered");
      return make(id, title, Severity::warn, "offered: a legacy protocol (deprecated by RFC 8996)",
                  "disable TLS 1.0 and 1.1; offer TLS 1.2 and 1.3 only");
    default:
      if (!on) return make(id, title, Severity::pass, "not offered");
      return make(id, title, Severity::fail, "offered: SSLv3 is broken (POODLE)", "disable SSLv3");
  }
}

Finding judge_floor(const Probes& p) {
  const bool modern = offered(p.versions.at(TLS1_3_VERSION)) || offered(p.versions.at(TLS1_2_VERSION));
  if (modern) return make("protocol_floor", "Protocol floor", Severity::pass, "TLS 1.2 or 1.3 offered");
  return make("protocol_floor", "Protocol floor", Severity::fail, "neither TLS 1.2 nor TLS 1.3 is offered",
              "enable TLS 1.2 and 1.3");
}

bool offers_up_to_1_2(const Probes& p) {
  for (const int version : {TLS1_2_VERSION, TLS1_1_VERSION, TLS1_VERSION, SSL3_VERSION}) {
    if (offered(p.versions.at(version))) return true;
  }
  return false;
}

Finding judge_weak(const Probes& p) {
  const std::string title = "Weak ciphers";
  if (!offers_up_to_1_2(p)) return make("weak_ciphers", title, Severity::pass, "TLS 1.3 only: no weak cipher can be negotiated");
  const auto& r = *p.weak;
  if (auto why = inconclusive(r)) return make("weak_ciphers", title, Severity::skip, fmt::format("not probed: {}", *why));
  if (offered(r)) {
    return make("weak_ciphers", title, Severity::fail,
                fmt::format("accepts {} (no encryption, no authentication or a broken cipher)", r.cipher),
                "offer only ECDHE with AES-GCM or ChaCha20 (Mozilla's intermediate configuration)");
  }
  return make("weak_ciphers", title, Severity::pass,
              "refuses NULL and anonymous ciphers (EXPORT, DES and RC4 are refused by this machine's OpenSSL itself)");
}

Finding judge_3des(const Probes& p) {
  if (!offers_up_to_1_2(p)) return make("3des", "3DES", Severity::pass, "TLS 1.3 only: 3DES cannot be negotiated");
  const auto& r = *p.triple_des;
  if (auto why = inconclusive(r)) return make("3des", "3DES", Severity::skip, fmt::format("not probed: {}", *why));
  if (offered(r)) {
    return make("3des", "3DES", Severity::warn, fmt::format("accepts {} (64-bit blocks: SWEET32)", r.cipher),
                "remove 3DES from the cipher list");
  }
  return make("3des", "3DES", Severity::pass, "refused");
}

Finding judge_forward_secrecy(const ProbeResult& main) {
  if (main.forward_secret) return make("forward_secrecy", "Forward secrecy", Severity::pass, fmt::format("{} negotiated", main.cipher));
  return make("forward_secrecy", "Forward secrecy", Severity::warn,
              fmt::format("{} negotiated: no ephemeral key exchange, so a stolen key decrypts past traffic", main.cipher),
              "prefer ECDHE cipher suites");
}

Finding judge_aead(const ProbeResult& main) {
  if (main.aead) return make("aead", "Authenticated encryption", Severity::pass, fmt::format("{} (AEAD)", main.cipher));
  return make("aead", "Authenticated encryption", Severity::warn, fmt::format("{} is not an AEAD cipher", main.cipher),
              "prefer AES-GCM or ChaCha20-Poly1305 cipher suites");
}

// ---- HTTP findings -----------------------------------------------------------------------------

void judge_http(const Probes& p, std::vector<Finding>& out) {
  const auto& main = p.main;
  if (!main.answer) {
    out.push_back(make("http_post", "HTTP/1.1 POST", Severity::fail,
                       fmt::format("no HTTP answer to a POST: {}", main.error.empty() ? "unknown error" : main.error),
                       "make the URL answer POST requests over HTTP/1.1"));
    return;
  }
  const Answer& a = *main.answer;
  if (a.status == 505 || a.status == 426 || a.status == 405) {
    out.push_back(make("http_post", "HTTP/1.1 POST", Severity::fail,
                       fmt::format("answered {} to an HTTP/1.1 POST{}", a.status, answer_excerpt(a)),
                       "accept POST over HTTP/1.1 (senders do not use HTTP/2 or other methods)"));
  } else {
    out.push_back(make("http_post", "HTTP/1.1 POST", Severity::pass, fmt::format("answered {}", a.status)));
  }
  if (a.status >= 300 && a.status < 400) {
    const auto location = a.header("Location");
    out.push_back(make("redirect", "No redirect", Severity::fail,
                       fmt::format("answered {} redirecting to {}; senders do not follow redirects", a.status,
                                   location ? *location : std::string("(no Location)")),
                       "register the final URL, or make this exact URL answer"));
  } else {
    out.push_back(make("redirect", "No redirect", Severity::pass, "the URL answers itself"));
  }
  const std::string sent = fmt::format("answered {}{}", a.status, answer_excerpt(a));
  if (p.signed_sample) {
    if (a.status >= 200 && a.status < 300) {
      out.push_back(make("signed_sample", "Signed sample event", Severity::pass,
                         fmt::format("a correctly signed {} event was answered {}", k_sample_type, a.status)));
    } else {
      out.push_back(make("signed_sample", "Signed sample event", Severity::fail,
                         fmt::format("a correctly signed {} event was {}", k_sample_type, sent),
                         "answer 2xx to every correctly signed delivery (ctg send-test shows more)"));
    }
  } else if (a.status >= 500) {
    out.push_back(make("signed_sample", "Signed sample event", Severity::fail,
                       fmt::format("an (unsigned) {} event was {}", k_sample_type, sent),
                       "the endpoint fails; with the secret set, ctg check also signs the sample"));
  } else if (a.status >= 200 && a.status < 300) {
    out.push_back(make("signed_sample", "Signed sample event", Severity::warn,
                       fmt::format("an unsigned {} event was accepted ({}): does the endpoint verify signatures?",
                                   k_sample_type, a.status),
                       "verify Contiguity-Signature; set CONTIGUITY_WEBHOOK_SECRET (or --secret-file) to test signed"));
  } else {
    out.push_back(make("signed_sample", "Signed sample event", Severity::skip,
                       fmt::format("no webhook secret given, so the sample went unsigned and was answered {} (as a "
                                   "verifying endpoint should); set CONTIGUITY_WEBHOOK_SECRET or --secret-file to "
                                   "test a signed one",
                                   a.status)));
  }
  if (!p.forged) {
    out.push_back(make("forged_sample", "Forged signature", Severity::skip, "needs the webhook secret"));
  } else if (!p.forged->answer) {
    out.push_back(make("forged_sample", "Forged signature", Severity::skip,
                       fmt::format("no answer: {}", p.forged->error)));
  } else if (const int status = p.forged->answer->status; status >= 400 && status < 500) {
    out.push_back(make("forged_sample", "Forged signature", Severity::pass, fmt::format("rejected with {}", status)));
  } else {
    out.push_back(make("forged_sample", "Forged signature", Severity::warn,
                       fmt::format("an event signed with the wrong secret was answered {}: it should get 4xx", status),
                       "verify Contiguity-Signature and answer 401 when it does not match"));
  }
}

Finding judge_hsts(const ProbeResult& main) {
  const auto value = main.answer ? main.answer->header("Strict-Transport-Security") : std::nullopt;
  if (!value) return make("hsts", "HSTS", Severity::info, "not sent (senders ignore it; browsers use it)");
  return make("hsts", "HSTS", Severity::info, fmt::format("sent: {}", *value));
}

bool hsts_long(const ProbeResult& main) {
  const auto value = main.answer ? main.answer->header("Strict-Transport-Security") : std::nullopt;
  if (!value) return false;
  const auto at = value->find("max-age=");
  if (at == std::string::npos) return false;
  return std::strtoll(value->c_str() + at + 8, nullptr, 10) >= 180 * k_day;
}

int weakest_bits(const Probes& p, int strongest) {
  int weakest = strongest;
  if (p.weak && offered(*p.weak)) weakest = std::min(weakest, p.weak->cipher_bits);
  if (p.triple_des && offered(*p.triple_des)) weakest = std::min(weakest, p.triple_des->cipher_bits);
  // TLS_AES_128_GCM_SHA256 is mandatory in TLS 1.3: a 1.3 server takes 128-bit ciphers too.
  if ((p.bits_128 && offered(*p.bits_128)) || offered(p.versions.at(TLS1_3_VERSION))) weakest = std::min(weakest, 128);
  return weakest;
}

}  // namespace

Finding judge_validity(std::int64_t not_before, std::int64_t not_after, std::int64_t now) {
  const std::string title = "Validity";
  if (now < not_before) {
    return make("validity", title, Severity::fail, fmt::format("not valid until {}", date_text(not_before)),
                "check the server's clock and the certificate's start date; reissue it");
  }
  if (now > not_after) {
    const std::int64_t ago = (now - not_after) / k_day;
    return make("validity", title, Severity::fail,
                fmt::format("expired on {} ({} day{} ago)", date_text(not_after), ago, ago == 1 ? "" : "s"),
                "renew the certificate (and automate it: certbot, acme.sh)");
  }
  const std::int64_t left = (not_after - now) / k_day;
  const std::string until = fmt::format("valid until {} ({} day{} left)", date_text(not_after), left, left == 1 ? "" : "s");
  if (left <= 30) return make("validity", title, Severity::warn, until, "renew the certificate now");
  if (left <= 60) return make("validity", title, Severity::info, until);
  return make("validity", title, Severity::pass, until);
}

int rsa_equivalent_bits(const std::string& key_type, int key_bits) {
  if (key_type == "RSA" || key_type == "RSA-PSS" || key_type == "DSA") return key_bits;
  if (key_type == "ED25519" || key_type == "X25519") return 3072;
  if (key_type == "ED448" || key_type == "X448") return 7680;
  if (key_type == "EC") {
    if (key_bits >= 512) return 15360;
    if (key_bits >= 384) return 7680;
    if (key_bits >= 256) return 3072;
    if (key_bits >= 224) return 2048;
    return 1024;
  }
  return key_bits;
}

Finding judge_key(const std::string& key_type, int key_bits) {
  const std::string what = fmt::format("{} {} bits", key_type, key_bits);
  const bool rsa = key_type == "RSA" || key_type == "RSA-PSS";
  const bool strong = rsa ? key_bits >= 2048 : rsa_equivalent_bits(key_type, key_bits) >= 3072;
  if (strong) return make("key", "Key strength", Severity::pass, what);
  return make("key", "Key strength", Severity::fail, fmt::format("{}: too weak to trust", what),
              "use an RSA key of 2048 bits or more, or an EC P-256 key");
}

Finding judge_latency(const Phases& phases, milliseconds budget, bool timed_out) {
  const std::string title = "Latency";
  const auto total = std::chrono::duration_cast<milliseconds>(phases.total());
  if (timed_out) {
    return make("latency", title, Severity::fail, "no answer before the timeout",
                "answer at once and process later (a queue): senders give up after a few seconds");
  }
  const std::string took =
      fmt::format("{} ms from DNS to the answer's first byte (DNS {:.1f}, connect {:.1f}, TLS {:.1f}, answer {:.1f})",
                  total.count(), ms(phases.dns), ms(phases.connect), ms(phases.tls), ms(phases.first_byte));
  if (total > k_sender_timeout) {
    return make("latency", title, Severity::fail, fmt::format("{}: senders time out at about 5 s", took),
                "answer at once and process later (a queue)");
  }
  if (total > budget) {
    return make("latency", title, Severity::warn, fmt::format("{}, over the budget of {} ms", took, budget.count()),
                "answer at once and process later (a queue)");
  }
  return make("latency", title, Severity::pass, took);
}

Report run_check(const CheckOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  Report report;
  report.url = o.url.str();
  auto& out = report.findings;
  auto finish = [&]() -> Report {
    report.duration_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
    return std::move(report);
  };

  if (o.url.scheme != "https") {
    out.push_back(make("scheme", "URL scheme", Severity::fail,
                       fmt::format("{}:// — the platform only delivers to https:// URLs", o.url.scheme),
                       "serve the endpoint over HTTPS"));
    return finish();
  }
  out.push_back(make("scheme", "URL scheme", Severity::pass, "https"));

  auto resolved = resolve(o.url.host, o.url.port);
  if (!resolved) {
    out.push_back(make("dns", "DNS", Severity::fail, resolved.error().message, "check the host name and its DNS records"));
    return finish();
  }
  std::vector<std::string> addresses;
  for (const auto& a : resolved->addresses) addresses.push_back(a.text);
  out.push_back(make("dns", "DNS", Severity::pass,
                     fmt::format("{} in {:.1f} ms", join(addresses, ", "), ms(resolved->took))));

  const Probes p = run_probes(o, resolved->addresses);
  const auto& main = p.main;
  if (main.reached == ProbeResult::Stage::connect) {
    out.push_back(make("connect", "TCP connect", Severity::fail,
                       fmt::format("cannot connect to port {}: {}", o.url.port, main.error),
                       "check that the server listens on this port and that no firewall drops it"));
    return finish();
  }
  out.push_back(make("connect", "TCP connect", Severity::pass,
                     fmt::format("{} port {} in {:.1f} ms", main.address, o.url.port, ms(main.connect_time))));
  if (!main.handshake_ok()) {
    out.push_back(make("handshake", "TLS handshake", Severity::fail, fmt::format("failed: {}", main.error),
                       "check the server's TLS configuration (certificate, protocols, ciphers)"));
    return finish();
  }
  out.push_back(make("handshake", "TLS handshake", Severity::pass,
                     fmt::format("{} {} in {:.1f} ms{}", main.protocol, main.cipher, ms(main.tls_time),
                                 is_ip_literal(o.url.host) ? "" : fmt::format(" (SNI {})", o.url.host))));

  // Certificates.
  std::vector<tls::CertificateInfo> served;
  for (const auto& pem : main.chain_pem) {
    if (auto info = tls::inspect_certificate(pem)) served.push_back(std::move(*info));
  }
  GradeInputs grade_inputs;
  if (served.empty()) {
    out.push_back(make("chain", "Chain of trust", Severity::fail, "the server sent no certificate that can be read",
                       "serve a certificate chain"));
    grade_inputs.trusted = false;
  } else {
    const auto& leaf = served.front();
    auto trust = verify_chain(main.chain_pem, o.store, o.now);
    if (trust) {
      out.push_back(judge_chain(*trust, o.store, leaf));
      grade_inputs.trusted = trust->outcome == Trust::Outcome::trusted;
    } else {
      out.push_back(make("chain", "Chain of trust", Severity::fail, trust.error().message, "serve a valid chain"));
      grade_inputs.trusted = false;
    }
    const bool matches = matches_host(main.chain_pem.front(), o.url.host);
    grade_inputs.name_matches = matches;
    out.push_back(judge_hostname(matches, o.url.host, leaf));
    out.push_back(judge_validity(leaf.not_before, leaf.not_after, o.now));
    grade_inputs.valid_now = o.now >= leaf.not_before && o.now <= leaf.not_after;
    out.push_back(judge_key(leaf.key_type, leaf.key_bits));
    grade_inputs.key_bits_rsa_equivalent = rsa_equivalent_bits(leaf.key_type, leaf.key_bits);
    const Finding signature = judge_signature(served);
    if (signature.severity == Severity::fail) grade_inputs.trusted = false;  // clients refuse SHA-1 certificates
    out.push_back(signature);
    out.push_back(judge_lifetime(leaf));
  }

  // Protocols and ciphers.
  out.push_back(judge_version("tls1_3", "TLS 1.3", p.versions.at(TLS1_3_VERSION), TLS1_3_VERSION));
  out.push_back(judge_version("tls1_2", "TLS 1.2", p.versions.at(TLS1_2_VERSION), TLS1_2_VERSION));
  out.push_back(judge_version("tls1_1", "TLS 1.1", p.versions.at(TLS1_1_VERSION), TLS1_1_VERSION));
  out.push_back(judge_version("tls1_0", "TLS 1.0", p.versions.at(TLS1_VERSION), TLS1_VERSION));
  out.push_back(judge_version("ssl3", "SSLv3", p.versions.at(SSL3_VERSION), SSL3_VERSION));
  out.push_back(judge_floor(p));
  out.push_back(judge_weak(p));
  out.push_back(judge_3des(p));
  out.push_back(judge_forward_secrecy(main));
  out.push_back(judge_aead(main));
  for (const auto& [version, result] : p.versions) {
    if (offered(result)) grade_inputs.versions_offered.push_back(version);
  }

  // HTTP.
  judge_http(p, out);
  const Phases phases{.dns = resolved->took,
                      .connect = main.connect_time,
                      .tls = main.tls_time,
                      .first_byte = main.answer ? main.answer->first_byte : Micros{0}};
  out.push_back(judge_latency(phases, o.max_latency, main.timed_out));
  out.push_back(judge_hsts(main));
  out.push_back(make("ocsp_stapling", "OCSP stapling", Severity::info,
                     main.ocsp_stapled ? "stapled" : "not stapled (senders rarely check revocation)"));

  if (o.grade) {
    grade_inputs.strongest_cipher_bits = main.cipher_bits;
    grade_inputs.weakest_cipher_bits = weakest_bits(p, main.cipher_bits);
    grade_inputs.hsts_long = hsts_long(main);
    grade_inputs.any_warning = std::any_of(out.begin(), out.end(), [](const Finding& f) { return f.severity == Severity::warn; });
    report.grade = grade(grade_inputs);
  }
  return finish();
}

}  // namespace ctg::check
