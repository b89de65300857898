#pragma once
// AWS Signature Version 4 (AWS4-HMAC-SHA256), header and presigned-URL forms, as specified in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html and
// checked against every vector of the AWS suites in tests/data/sigv4/. Used for EventBridge and
// any other AWS call. No I/O, no Asio: a pure function of its inputs plus a signing-key cache.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.hpp"
#include "net/http.hpp"

namespace grm::aws {

struct credentials {
  std::string access_key_id;
  secret secret_access_key;
  secret session_token;  // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // which provider produced them (for messages), e.g. "environment"
};

// What is signed. `target` is the request target as it goes on the wire: path, and the query
// after '?' if any (already percent-encoded, as in an HTTP request line).
struct signable_request {
  std::string method;
  std::string target;
  std::vector<net::header> headers;  // must include Host
  std::string_view body;
};

struct signing_options {
  std::string region;
  std::string service;
  bool normalize_path = true;           // remove . and .. and repeated '/' (false: S3 style)
  bool sign_session_token = true;       // false: X-Amz-Security-Token added after signing
  bool add_content_sha256 = false;      // add and sign X-Amz-Content-Sha256 (S3 style)
};

// The intermediate products, exposed for tests and for the emulator's diagnostics.
struct signature_parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
  std::string signature;
  std::string authorization;  // header form only
};

std::string sha256_hex(std::string_view data);
std::string amz_date(std::chrono::system_clock::time_point t);  // YYYYMMDD'T'HHMMSS'Z'
// RFC 3986 unreserved characters kept, everything else %XX (upper case); '/' kept if asked.
std::string uri_encode(std::string_view s, bool keep_slash);

// The Authorization header of a header-signed request, as a verifier reads it:
// "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex".
struct authorization_header {
  std::string access_key_id, date, region, service, signature;
  std::vector<std::string> signed_headers;
};
std::optional<authorization_header> parse_authorization_header(std::string_view value);

class signer final {
 public:
  // Adds X-Amz-Date (and X-Amz-Security-Token, X-Amz-Content-Sha256 as configured) and
  // Authorization to `req.headers`; replaces any Authorization already there (a retry re-signs).
  signature_parts sign(signable_request& req, const credentials& creds, const signing_options& opt,
                       std::chrono::system_clock::time_point now);
  // Presigned URL: returns the new request target with the X-Amz-* query parameters.
  std::string presign(const signable_request& req, const credentials& creds, const signing_options& opt,
                      std::chrono::system_clock::time_point now, std::chrono::seconds expires,
                      signature_parts* parts = nullptr);

  // For verification (the emulator): the same computation over a received request, with the
  // date and signed-header list it claims.
  signature_parts compute(const signable_request& req, const credentials& creds, const signing_options& opt,
                          std::string_view amzdate, const std::vector<std::string>& signed_header_names);

  std::size_t cached_keys() const;

 private:
  std::string signing_key(const credentials& creds, std::string_view date, const signing_options& opt);

  mutable std::mutex mu_;
  struct cached {
    secret secret_access_key;  // a rotated secret under the same key id must not get a stale key
    std::string key;
  };
  std::map<std::string, cached> keys_;  // access key id/date/region/service → derived key
};

}  // namespace grm::aws
