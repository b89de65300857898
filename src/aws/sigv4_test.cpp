// Every vector of the AWS SigV4 suites copied into tests/data/sigv4/ (see its README): the
// CRT suite (v4/), the 2015 suite (classic/) and three EventBridge PutEvents vectors. Canonical
// request, string to sign, signature and Authorization are compared byte for byte.
#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace grm::aws {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;
const fs::path kVectors = GRM_SIGV4_VECTORS_DIR;
const auto kTime = sys_days{2015y / 8 / 30} + 12h + 36min;
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// Cases the 2015 suite gets wrong, as its README in tests/data/sigv4/ explains; the v4/
// versions of the same cases are checked instead.
const std::set<std::string> kClassicSkipped = {
    "get-header-value-multiline",            // joins folded lines with ',' where SigV4 (and v4/) use ' '
    "post-x-www-form-urlencoded",            // .creq signs content-length, .sts/.authz were computed without it
    "post-x-www-form-urlencoded-parameters"  // same contradiction
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// request.txt / .req: "METHOD TARGET HTTP/1.1", Name:value lines (a line starting with blanks
// continues the previous value), an empty line, the body (kept in `body`, which r.body views).
signable_request parse_request(const std::string& text, std::string& body) {
  signable_request r;
  auto eol = text.find('\n');
  auto first = text.substr(0, eol);
  auto sp = first.find(' ');
  r.method = first.substr(0, sp);
  r.target = first.substr(sp + 1, first.rfind(" HTTP/") - sp - 1);
  std::size_t pos = eol + 1;
  while (pos < text.size()) {
    auto next = text.find('\n', pos);
    if (next == std::string::npos) next = text.size();
    auto line = text.substr(pos, next - pos);
    pos = next + 1;
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      r.headers.back().value += "\n" + line;
      continue;
    }
    auto colon = line.find(':');
    r.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  body = pos < text.size() ? text.substr(pos) : "";
  r.body = body;
  return r;
}

std::string authorization_of(const std::string& signed_request) {
  auto at = signed_request.find("\nAuthorization:");
  auto end = signed_request.find('\n', at + 1);
  auto value = signed_request.substr(at + 15, end - at - 15);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

struct crt_case {
  std::string name;
  fs::path dir;
};

std::vector<crt_case> crt_cases(const std::string& folder) {
  std::vector<crt_case> out;
  for (auto& e : fs::directory_iterator(kVectors / folder))
    if (e.is_directory()) out.push_back({e.path().filename().string(), e.path()});
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void check_crt_case(const crt_case& c) {
  SCOPED_TRACE(c.dir.string());
  auto ctx = boost::json::parse(slurp(c.dir / "context.json")).as_object();
  auto& cr = ctx.at("credentials").as_object();
  credentials creds{std::string(cr.at("access_key_id").as_string()),
                    secret(std::string(cr.at("secret_access_key").as_string())),
                    cr.contains("token") ? secret(std::string(cr.at("token").as_string())) : secret{},
                    std::nullopt, "test vector"};
  signing_options opt{std::string(ctx.at("region").as_string()), std::string(ctx.at("service").as_string()),
                      ctx.at("normalize").as_bool(), !(ctx.contains("omit_session_token") && ctx.at("omit_session_token").as_bool()),
                      ctx.at("sign_body").as_bool()};
  signer s;
  auto text = slurp(c.dir / "request.txt");
  std::string body;
  auto req = parse_request(text, body);
  auto parts = s.sign(req, creds, opt, kTime);
  EXPECT_EQ(parts.canonical_request, slurp(c.dir / "header-canonical-request.txt"));
  EXPECT_EQ(parts.string_to_sign, slurp(c.dir / "header-string-to-sign.txt"));
  EXPECT_EQ(parts.signature, slurp(c.dir / "header-signature.txt"));
  EXPECT_EQ(parts.authorization, authorization_of(slurp(c.dir / "header-signed-request.txt")));
  if (!fs::exists(c.dir / "query-canonical-request.txt")) return;
  std::string unsigned_body;
  auto unsigned_req = parse_request(text, unsigned_body);
  signature_parts q;
  auto target = s.presign(unsigned_req, creds, opt, kTime, seconds{ctx.at("expiration_in_seconds").as_int64()}, &q);
  EXPECT_EQ(q.canonical_request, slurp(c.dir / "query-canonical-request.txt"));
  EXPECT_EQ(q.string_to_sign, slurp(c.dir / "query-string-to-sign.txt"));
  EXPECT_EQ(q.signature, slurp(c.dir / "query-signature.txt"));
  EXPECT_NE(target.find("X-Amz-Signature=" + q.signature), std::string::npos);
}

TEST(SigV4, EveryCrtSuiteVectorPassesHeaderAndPresignedForms) {
  auto cases = crt_cases("v4");
  ASSERT_EQ(cases.size(), 38u);
  for (auto& c : cases) check_crt_case(c);
}

TEST(SigV4, EveryEventBridgePutEventsVectorPasses) {
  auto cases = crt_cases("botocore-generated");
  ASSERT_EQ(cases.size(), 3u);
  for (auto& c : cases) check_crt_case(c);
}

TEST(SigV4, Every2015SuiteVectorPassesExceptTheThreeItGetsWrong) {
  std::size_t checked = 0;
  for (auto& e : fs::directory_iterator(kVectors / "classic")) {
    if (!e.is_directory()) continue;
    auto name = e.path().filename().string();
    if (kClassicSkipped.contains(name)) continue;
    SCOPED_TRACE(name);
    auto base = e.path() / name;
    std::string body, signed_body;
    auto req = parse_request(slurp(base.string() + ".req"), body);
    bool token_after = name == "post-sts-header-after";
    credentials creds{"AKIDEXAMPLE", secret(kSecret), {}, std::nullopt, "test vector"};
    for (auto& h : parse_request(slurp(base.string() + ".sreq"), signed_body).headers)
      if (h.name == "X-Amz-Security-Token") creds.session_token = secret(h.value);
    signing_options opt{"us-east-1", "service", true, !token_after, false};
    signer s;
    auto parts = s.sign(req, creds, opt, kTime);
    EXPECT_EQ(parts.canonical_request, slurp(base.string() + ".creq"));
    EXPECT_EQ(parts.string_to_sign, slurp(base.string() + ".sts"));
    EXPECT_EQ(parts.authorization, slurp(base.string() + ".authz"));
    ++checked;
  }
  EXPECT_EQ(checked, 28u);
}

TEST(SigV4, SigningKeyIsDerivedOncePerDayRegionAndService) {
  signer s;
  credentials creds{"AKIDEXAMPLE", secret(kSecret), {}, std::nullopt, "test"};
  signing_options opt{"us-east-1", "events", true, true, false};
  signable_request r{"POST", "/", {{"Host", "events.us-east-1.amazonaws.com"}}, "{}"};
  auto a = s.sign(r, creds, opt, kTime);
  auto b = s.sign(r, creds, opt, kTime + 1h);  // same day: cached key, new signature
  EXPECT_EQ(s.cached_keys(), 1u);
  EXPECT_NE(a.signature, b.signature);
  s.sign(r, creds, opt, kTime + 24h);  // next day
  opt.region = "eu-west-1";
  s.sign(r, creds, opt, kTime);
  EXPECT_EQ(s.cached_keys(), 3u);
  // A rotated secret under the same key id is not served a stale key.
  credentials rotated{"AKIDEXAMPLE", secret("another-secret"), {}, std::nullopt, "test"};
  opt.region = "us-east-1";
  signable_request r2{"POST", "/", {{"Host", "events.us-east-1.amazonaws.com"}}, "{}"};
  EXPECT_NE(s.sign(r2, rotated, opt, kTime).signature, a.signature);
}

TEST(SigV4, ResigningReplacesTheOldAuthorizationAndDate) {
  signer s;
  credentials creds{"AKIDEXAMPLE", secret(kSecret), {}, std::nullopt, "test"};
  signing_options opt{"us-east-1", "events", true, true, false};
  signable_request r{"POST", "/", {{"Host", "events.us-east-1.amazonaws.com"}}, "{}"};
  s.sign(r, creds, opt, kTime);
  s.sign(r, creds, opt, kTime + 10s);
  EXPECT_EQ(std::count_if(r.headers.begin(), r.headers.end(), [](auto& h) { return h.name == "Authorization"; }), 1);
  EXPECT_EQ(std::count_if(r.headers.begin(), r.headers.end(), [](auto& h) { return h.name == "X-Amz-Date"; }), 1);
  EXPECT_EQ(std::find_if(r.headers.begin(), r.headers.end(), [](auto& h) { return h.name == "X-Amz-Date"; })->value,
            "20150830T123610Z");
}

TEST(SigV4, UserAgentAndHopByHopHeadersAreNotSigned) {
  signer s;
  credentials creds{"AKIDEXAMPLE", secret(kSecret), {}, std::nullopt, "test"};
  signable_request r{"POST", "/", {{"Host", "h"}, {"User-Agent", "x"}, {"Connection", "keep-alive"}, {"X-Amz-Target", "AWSEvents.PutEvents"}}, ""};
  auto p = s.sign(r, creds, {"us-east-1", "events", true, true, false}, kTime);
  EXPECT_EQ(p.signed_headers, "host;x-amz-date;x-amz-target");
}

}  // namespace
}  // namespace grm::aws
