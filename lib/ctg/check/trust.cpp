#include "ctg/check/trust.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>

#include <fmt/format.h>

#include "ctg/net/url.hpp"

namespace ctg::check {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

struct StackFree {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};

X509Ptr parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

void free_openssl_string(char* p) {
  OPENSSL_free(p);
}

std::string name_text(const X509_NAME* name) {
  std::array<char, 256> cn{};
  if (X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(name), NID_commonName, cn.data(), static_cast<int>(cn.size())) > 0) {
    return cn.data();
  }
  std::unique_ptr<char, decltype(&free_openssl_string)> line(X509_NAME_oneline(name, nullptr, 0), &free_openssl_string);
  return line ? std::string(line.get()) : std::string("(no name)");
}

// Errors a finding of its own reports: they must not also make the chain look untrusted.
bool judged_elsewhere(int error, int depth) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return depth == 0;  // the leaf's dates are the validity finding; an intermediate's break the chain
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return true;
    default:
      return false;
  }
}

int tolerant_callback(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  return judged_elsewhere(X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx)) ? 1 : 0;
}

}  // namespace


Result<Trust> verify_chain(const std::vector<std::string>& chain_pem, const TrustStore& trust_store, std::int64_t now) {
  if (chain_pem.empty()) return fail(ErrorKind::invalid_input, "the server sent no certificate");
  std::vector<X509Ptr> served;
  for (const auto& pem : chain_pem) {
    auto cert = parse(pem);
    if (!cert) {
      ERR_clear_error();
      return fail(ErrorKind::invalid_input, "a certificate the server sent cannot be parsed");
    }
    served.push_back(std::move(cert));
  }
  StorePtr store(X509_STORE_new());
  if (!store) return fail(ErrorKind::internal, "cannot create a certificate store");
  const bool loaded = trust_store.ca_file.empty() ? X509_STORE_set_default_paths(store.get()) == 1
                                                  : X509_STORE_load_file(store.get(), trust_store.ca_file.c_str()) == 1;
  if (!loaded) {
    ERR_clear_error();
    return fail(ErrorKind::io, fmt::format("cannot load the trusted certificates from {}",
                                           trust_store.ca_file.empty() ? "the system store" : trust_store.ca_file));
  }
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (std::size_t i = 1; i < served.size(); ++i) {
    X509_up_ref(served[i].get());
    sk_X509_push(untrusted.get(), served[i].get());
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), served[0].get(), untrusted.get()) != 1) {
    return fail(ErrorKind::internal, "cannot start certificate verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, now);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_auth_level(param, 0);  // weak keys and digests have findings of their own
  X509_STORE_CTX_set_verify_cb(ctx.get(), &tolerant_callback);

  Trust trust;
  trust.served = served.size();
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (ok == 1) {
    trust.outcome = Trust::Outcome::trusted;
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    trust.chain_length = chain != nullptr ? static_cast<std::size_t>(sk_X509_num(chain)) : 0;
    if (trust.chain_length > 0) trust.anchor = name_text(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)));
    return trust;
  }
  trust.detail = X509_verify_cert_error_string(error);
  switch (error) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      trust.outcome = Trust::Outcome::self_signed;
      break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      trust.outcome = Trust::Outcome::untrusted_root;
      trust.anchor = name_text(X509_get_subject_name(served.back().get()));
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      trust.outcome = Trust::Outcome::incomplete;
      if (X509* current = X509_STORE_CTX_get_current_cert(ctx.get())) {
        trust.last_issuer = name_text(X509_get_issuer_name(current));
      }
      break;
    default:
      trust.outcome = Trust::Outcome::invalid;
      break;
  }
  return trust;
}

bool matches_host(const std::string& leaf_pem, const std::string& host) {
  auto leaf = parse(leaf_pem);
  if (!leaf) {
    ERR_clear_error();
    return false;
  }
  const int rc = net::is_ip_address(host) ? X509_check_ip_asc(leaf.get(), host.c_str(), 0)
                       : X509_check_host(leaf.get(), host.c_str(), host.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
  ERR_clear_error();
  return rc == 1;
}

}  // namespace ctg::check
