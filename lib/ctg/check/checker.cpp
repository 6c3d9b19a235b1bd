#include "ctg/check/checker.hpp"

#include <openssl/tls1.h>

#include <algorithm>
#include <array>
#include <future>
#include <map>

#include <fmt/format.h>

#include "ctg/check/judge.hpp"
#include "ctg/check/probe.hpp"
#include "ctg/core/text.hpp"
#include "ctg/events/fixtures.hpp"
#include "ctg/signing/signature.hpp"
#include "ctg/tls/certificate.hpp"

namespace ctg::check {

namespace {

using std::chrono::milliseconds;

constexpr std::int64_t k_day = 86'400;
constexpr std::string_view k_sample_type = "text.incoming.sms";
constexpr std::string_view k_forged_secret = "whsec_ctg_check_forged_signature";

// Ciphers no sender should be able to negotiate: no encryption, no authentication, export grade,
// DES, RC4. Whichever of them this machine's OpenSSL still has are offered.
constexpr const char* k_weak_ciphers = "eNULL:aNULL:EXPORT:LOW:DES:RC4:@SECLEVEL=0";
constexpr const char* k_3des_ciphers = "3DES:@SECLEVEL=0";
constexpr const char* k_128_bit_ciphers = "AES128:CAMELLIA128:ARIA128:SEED:-aNULL:-eNULL:@SECLEVEL=0";




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
  if (!net::is_ip_address(o.url.host)) params.server_name = o.url.host;
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
      return probe(addresses, params, o.timeout, req);
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
    return finding(id, title, Severity::skip, fmt::format("not probed: {}", *why));
  }
  const bool on = offered(r);
  switch (version) {
    case TLS1_3_VERSION:
      return on ? finding(id, title, Severity::pass, "offered")
                : finding(id, title, Severity::info, "not offered (TLS 1.3 saves a round trip on every new connection)");
    case TLS1_2_VERSION:
      return finding(id, title, on ? Severity::pass : Severity::info, on ? "offered" : "not offered");
    case TLS1_1_VERSION:
    case TLS1_VERSION:
      if (!on) return finding(id, title, Severity::pass, "not offered");
      return finding(id, title, Severity::warn, "offered: a legacy protocol (deprecated by RFC 8996)",
                  "disable TLS 1.0 and 1.1; offer TLS 1.2 and 1.3 only");
    default:
      if (!on) return finding(id, title, Severity::pass, "not offered");
      return finding(id, title, Severity::fail, "offered: SSLv3 is broken (POODLE)", "disable SSLv3");
  }
}

Finding judge_floor(const Probes& p) {
  const bool modern = offered(p.versions.at(TLS1_3_VERSION)) || offered(p.versions.at(TLS1_2_VERSION));
  if (modern) return finding("protocol_floor", "Protocol floor", Severity::pass, "TLS 1.2 or 1.3 offered");
  return finding("protocol_floor", "Protocol floor", Severity::fail, "neither TLS 1.2 nor TLS 1.3 is offered",
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
  if (!offers_up_to_1_2(p)) return finding("weak_ciphers", title, Severity::pass, "TLS 1.3 only: no weak cipher can be negotiated");
  const auto& r = *p.weak;
  if (auto why = inconclusive(r)) return finding("weak_ciphers", title, Severity::skip, fmt::format("not probed: {}", *why));
  if (offered(r)) {
    return finding("weak_ciphers", title, Severity::fail,
                fmt::format("accepts {} (no encryption, no authentication or a broken cipher)", r.cipher),
                "offer only ECDHE with AES-GCM or ChaCha20 (Mozilla's intermediate configuration)");
  }
  return finding("weak_ciphers", title, Severity::pass,
              "refuses NULL and anonymous ciphers (EXPORT, DES and RC4 are refused by this machine's OpenSSL itself)");
}

Finding judge_3des(const Probes& p) {
  if (!offers_up_to_1_2(p)) return finding("3des", "3DES", Severity::pass, "TLS 1.3 only: 3DES cannot be negotiated");
  const auto& r = *p.triple_des;
  if (auto why = inconclusive(r)) return finding("3des", "3DES", Severity::skip, fmt::format("not probed: {}", *why));
  if (offered(r)) {
    return finding("3des", "3DES", Severity::warn, fmt::format("accepts {} (64-bit blocks: SWEET32)", r.cipher),
                "remove 3DES from the cipher list");
  }
  return finding("3des", "3DES", Severity::pass, "refused");
}

Finding judge_forward_secrecy(const ProbeResult& main) {
  if (main.forward_secret) return finding("forward_secrecy", "Forward secrecy", Severity::pass, fmt::format("{} negotiated", main.cipher));
  return finding("forward_secrecy", "Forward secrecy", Severity::warn,
              fmt::format("{} negotiated: no ephemeral key exchange, so a stolen key decrypts past traffic", main.cipher),
              "prefer ECDHE cipher suites");
}

Finding judge_aead(const ProbeResult& main) {
  if (main.aead) return finding("aead", "Authenticated encryption", Severity::pass, fmt::format("{} (AEAD)", main.cipher));
  return finding("aead", "Authenticated encryption", Severity::warn, fmt::format("{} is not an AEAD cipher", main.cipher),
              "prefer AES-GCM or ChaCha20-Poly1305 cipher suites");
}

// ---- HTTP findings -----------------------------------------------------------------------------

void judge_http(const Probes& p, std::vector<Finding>& out) {
  const auto& main = p.main;
  if (!main.answer) {
    out.push_back(finding("http_post", "HTTP/1.1 POST", Severity::fail,
                       fmt::format("no HTTP answer to a POST: {}", main.error.empty() ? "unknown error" : main.error),
                       "make the URL answer POST requests over HTTP/1.1"));
    return;
  }
  const Answer& a = *main.answer;
  if (a.status == 505 || a.status == 426 || a.status == 405) {
    out.push_back(finding("http_post", "HTTP/1.1 POST", Severity::fail,
                       fmt::format("answered {} to an HTTP/1.1 POST{}", a.status, answer_excerpt(a)),
                       "accept POST over HTTP/1.1 (senders do not use HTTP/2 or other methods)"));
  } else {
    out.push_back(finding("http_post", "HTTP/1.1 POST", Severity::pass, fmt::format("answered {}", a.status)));
  }
  if (a.status >= 300 && a.status < 400) {
    const auto location = a.header("Location");
    out.push_back(finding("redirect", "No redirect", Severity::fail,
                       fmt::format("answered {} redirecting to {}; senders do not follow redirects", a.status,
                                   location ? *location : std::string("(no Location)")),
                       "register the final URL, or make this exact URL answer"));
  } else {
    out.push_back(finding("redirect", "No redirect", Severity::pass, "the URL answers itself"));
  }
  const std::string sent = fmt::format("answered {}{}", a.status, answer_excerpt(a));
  if (p.signed_sample) {
    if (a.status >= 200 && a.status < 300) {
      out.push_back(finding("signed_sample", "Signed sample event", Severity::pass,
                         fmt::format("a correctly signed {} event was answered {}", k_sample_type, a.status)));
    } else {
      out.push_back(finding("signed_sample", "Signed sample event", Severity::fail,
                         fmt::format("a correctly signed {} event was {}", k_sample_type, sent),
                         "answer 2xx to every correctly signed delivery (ctg send-test shows more)"));
    }
  } else if (a.status >= 500) {
    out.push_back(finding("signed_sample", "Signed sample event", Severity::fail,
                       fmt::format("an (unsigned) {} event was {}", k_sample_type, sent),
                       "the endpoint fails; with the secret set, ctg check also signs the sample"));
  } else if (a.status >= 200 && a.status < 300) {
    out.push_back(finding("signed_sample", "Signed sample event", Severity::warn,
                       fmt::format("an unsigned {} event was accepted ({}): does the endpoint verify signatures?",
                                   k_sample_type, a.status),
                       "verify Contiguity-Signature; set CONTIGUITY_WEBHOOK_SECRET (or --secret-file) to test signed"));
  } else {
    out.push_back(finding("signed_sample", "Signed sample event", Severity::skip,
                       fmt::format("no webhook secret given, so the sample went unsigned and was answered {} (as a "
                                   "verifying endpoint should); set CONTIGUITY_WEBHOOK_SECRET or --secret-file to "
                                   "test a signed one",
                                   a.status)));
  }
  if (!p.forged) {
    out.push_back(finding("forged_sample", "Forged signature", Severity::skip, "needs the webhook secret"));
  } else if (!p.forged->answer) {
    out.push_back(finding("forged_sample", "Forged signature", Severity::skip,
                       fmt::format("no answer: {}", p.forged->error)));
  } else if (const int status = p.forged->answer->status; status >= 400 && status < 500) {
    out.push_back(finding("forged_sample", "Forged signature", Severity::pass, fmt::format("rejected with {}", status)));
  } else {
    out.push_back(finding("forged_sample", "Forged signature", Severity::warn,
                       fmt::format("an event signed with the wrong secret was answered {}: it should get 4xx", status),
                       "verify Contiguity-Signature and answer 401 when it does not match"));
  }
}

Finding judge_hsts(const ProbeResult& main) {
  const auto value = main.answer ? main.answer->header("Strict-Transport-Security") : std::nullopt;
  if (!value) return finding("hsts", "HSTS", Severity::info, "not sent (senders ignore it; browsers use it)");
  return finding("hsts", "HSTS", Severity::info, fmt::format("sent: {}", *value));
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
    out.push_back(finding("scheme", "URL scheme", Severity::fail,
                       fmt::format("{}:// — the platform only delivers to https:// URLs", o.url.scheme),
                       "serve the endpoint over HTTPS"));
    return finish();
  }
  out.push_back(finding("scheme", "URL scheme", Severity::pass, "https"));

  auto resolved = resolve(o.url.host, o.url.port);
  if (!resolved) {
    out.push_back(finding("dns", "DNS", Severity::fail, resolved.error().message, "check the host name and its DNS records"));
    return finish();
  }
  std::string addresses;
  for (const auto& a : resolved->addresses) addresses += (addresses.empty() ? "" : ", ") + a.text;
  out.push_back(finding("dns", "DNS", Severity::pass,
                     fmt::format("{} in {:.1f} ms", addresses, as_ms(resolved->took))));

  const Probes p = run_probes(o, resolved->addresses);
  const auto& main = p.main;
  if (main.reached == ProbeResult::Stage::connect) {
    out.push_back(finding("connect", "TCP connect", Severity::fail,
                       fmt::format("cannot connect to port {}: {}", o.url.port, main.error),
                       "check that the server listens on this port and that no firewall drops it"));
    return finish();
  }
  out.push_back(finding("connect", "TCP connect", Severity::pass,
                     fmt::format("{} port {} in {:.1f} ms", main.address, o.url.port, as_ms(main.connect_time))));
  if (!main.handshake_ok()) {
    out.push_back(finding("handshake", "TLS handshake", Severity::fail, fmt::format("failed: {}", main.error),
                       "check the server's TLS configuration (certificate, protocols, ciphers)"));
    return finish();
  }
  out.push_back(finding("handshake", "TLS handshake", Severity::pass,
                     fmt::format("{} {} in {:.1f} ms{}", main.protocol, main.cipher, as_ms(main.tls_time),
                                 net::is_ip_address(o.url.host) ? "" : fmt::format(" (SNI {})", o.url.host))));

  // Certificates.
  std::vector<tls::CertificateInfo> served;
  for (const auto& pem : main.chain_pem) {
    if (auto info = tls::inspect_certificate(pem)) served.push_back(std::move(*info));
  }
  GradeInputs grade_inputs;
  if (served.empty()) {
    out.push_back(finding("chain", "Chain of trust", Severity::fail, "the server sent no certificate that can be read",
                       "serve a certificate chain"));
    grade_inputs.trusted = false;
  } else {
    const auto& leaf = served.front();
    auto trust = verify_chain(main.chain_pem, o.store, o.now);
    if (trust) {
      out.push_back(judge_chain(*trust, o.store, leaf));
      grade_inputs.trusted = trust->outcome == Trust::Outcome::trusted;
    } else {
      out.push_back(finding("chain", "Chain of trust", Severity::fail, trust.error().message, "serve a valid chain"));
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
  out.push_back(finding("ocsp_stapling", "OCSP stapling", Severity::info,
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
