#include "ctg/check/judge.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace ctg::check {

namespace {

using std::chrono::milliseconds;

constexpr std::int64_t k_day = 86'400;
constexpr milliseconds k_sender_timeout{5'000};  // design.md: "target < 5 s"

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

}  // namespace

Finding judge_chain(const Trust& trust, const TrustStore& store, const tls::CertificateInfo& leaf) {
  const std::string title = "Chain of trust";
  const bool private_store = !store.ca_file.empty();
  switch (trust.outcome) {
    case Trust::Outcome::trusted:
      if (private_store) {
        const std::string what = leaf.self_issued && trust.chain_length <= 1
                                     ? "a self-signed certificate"
                                     : fmt::format("a chain to {}", trust.anchor);
        return finding("chain", title, Severity::warn,
                    fmt::format("{} trusted only through --ca-file: fine for local work, but the platform will not "
                                "trust it",
                                what),
                    "for production, use a certificate from a public CA (Let's Encrypt, for one)");
      }
      return finding("chain", title, Severity::pass,
                  fmt::format("chains to {} ({} certificate{} served)", trust.anchor, trust.served,
                              trust.served == 1 ? "" : "s"));
    case Trust::Outcome::incomplete:
      return finding("chain", title, Severity::fail,
                  fmt::format("incomplete chain: the server sent {} certificate{} and not the intermediate "
                              "certificate \"{}\" that leads to a trusted root; a sender does not fetch missing "
                              "intermediates{}",
                              trust.served, trust.served == 1 ? "" : "s", trust.last_issuer,
                              private_store ? "" : " (or the CA is private: pass it with --ca-file for local work)"),
                  "serve the full chain: the leaf followed by every intermediate (fullchain.pem)");
    case Trust::Outcome::self_signed:
      return finding("chain", title, Severity::fail, "self-signed certificate: no sender trusts it",
                  "use a certificate from a public CA; for local work pass it with --ca-file");
    case Trust::Outcome::untrusted_root:
      return finding("chain", title, Severity::fail,
                  fmt::format("the chain ends in \"{}\", a root {} does not trust", trust.anchor,
                              private_store ? "the --ca-file" : "this machine"),
                  "use a certificate from a public CA; for a private CA pass it with --ca-file");
    case Trust::Outcome::invalid:
      break;
  }
  return finding("chain", title, Severity::fail, fmt::format("the chain does not verify: {}", trust.detail),
              "serve a valid chain from a public CA");
}

Finding judge_hostname(bool matches, const std::string& host, const tls::CertificateInfo& leaf) {
  std::vector<std::string> names = leaf.dns_names;
  names.insert(names.end(), leaf.ip_addresses.begin(), leaf.ip_addresses.end());
  if (names.empty() && !leaf.subject_cn.empty()) names.push_back(leaf.subject_cn + " (CN only, which clients ignore)");
  const std::string listed = names.empty() ? "no name" : join(names, ", ");
  if (matches) return finding("hostname", "Hostname", Severity::pass, fmt::format("{} matches the certificate", host));
  return finding("hostname", "Hostname", Severity::fail, fmt::format("the certificate is for {}, not {}", listed, host),
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
      return finding("signature", "Certificate signature", Severity::fail,
                  fmt::format("{} is signed with {}, which clients no longer accept",
                              i == 0 ? std::string("the certificate") : fmt::format("intermediate \"{}\"", cert.subject_cn),
                              cert.signature_algorithm),
                  "reissue the certificate signed with SHA-256");
    }
  }
  return finding("signature", "Certificate signature", Severity::pass,
              served.empty() ? std::string("no certificate") : served.front().signature_algorithm);
}

Finding judge_lifetime(const tls::CertificateInfo& leaf) {
  const std::int64_t days = (leaf.not_after - leaf.not_before) / k_day;
  if (days > 398) {
    return finding("lifetime", "Certificate lifetime", Severity::info,
                fmt::format("{} days: longer than the 398 days public CAs may issue", days));
  }
  return finding("lifetime", "Certificate lifetime", Severity::info, fmt::format("{} days", days));
}

Finding judge_validity(std::int64_t not_before, std::int64_t not_after, std::int64_t now) {
  const std::string title = "Validity";
  if (now < not_before) {
    return finding("validity", title, Severity::fail, fmt::format("not valid until {}", date_text(not_before)),
                "check the server's clock and the certificate's start date; reissue it");
  }
  if (now > not_after) {
    const std::int64_t ago = (now - not_after) / k_day;
    return finding("validity", title, Severity::fail,
                fmt::format("expired on {} ({} day{} ago)", date_text(not_after), ago, ago == 1 ? "" : "s"),
                "renew the certificate (and automate it: certbot, acme.sh)");
  }
  const std::int64_t left = (not_after - now) / k_day;
  const std::string until = fmt::format("valid until {} ({} day{} left)", date_text(not_after), left, left == 1 ? "" : "s");
  if (left <= 30) return finding("validity", title, Severity::warn, until, "renew the certificate now");
  if (left <= 60) return finding("validity", title, Severity::info, until);
  return finding("validity", title, Severity::pass, until);
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
  if (strong) return finding("key", "Key strength", Severity::pass, what);
  return finding("key", "Key strength", Severity::fail, fmt::format("{}: too weak to trust", what),
              "use an RSA key of 2048 bits or more, or an EC P-256 key");
}

Finding judge_latency(const Phases& phases, milliseconds budget, bool timed_out) {
  const std::string title = "Latency";
  const auto total = std::chrono::duration_cast<milliseconds>(phases.total());
  if (timed_out) {
    return finding("latency", title, Severity::fail, "no answer before the timeout",
                "answer at once and process later (a queue): senders give up after a few seconds");
  }
  const std::string took =
      fmt::format("{} ms from DNS to the answer's first byte (DNS {:.1f}, connect {:.1f}, TLS {:.1f}, answer {:.1f})",
                  total.count(), as_ms(phases.dns), as_ms(phases.connect), as_ms(phases.tls), as_ms(phases.first_byte));
  if (total > k_sender_timeout) {
    return finding("latency", title, Severity::fail, fmt::format("{}: senders time out at about 5 s", took),
                "answer at once and process later (a queue)");
  }
  if (total > budget) {
    return finding("latency", title, Severity::warn, fmt::format("{}, over the budget of {} ms", took, budget.count()),
                "answer at once and process later (a queue)");
  }
  return finding("latency", title, Severity::pass, took);
}

}  // namespace ctg::check
