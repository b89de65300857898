#include "sim/aws_emulator.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>

#include "aws/sigv4.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "sim/http_service.hpp"
#include "sim/loopback.hpp"

namespace grm::sim {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono;

namespace {

constexpr auto kJson = "application/x-amz-json-1.1";
constexpr auto kSkew = minutes{5};

std::string header(const http_request_msg& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string{} : std::string(it->value());
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    auto eq = pair.find('=');
    out[url_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string iso(system_clock::time_point t) { return format_rfc3339(time_point_cast<milliseconds>(t)); }

std::optional<system_clock::time_point> parse_amz_date(std::string_view d) {
  // YYYYMMDD'T'HHMMSS'Z' → reuse the RFC 3339 parser
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  std::string r = std::string(d.substr(0, 4)) + "-" + std::string(d.substr(4, 2)) + "-" + std::string(d.substr(6, 2)) +
                  "T" + std::string(d.substr(9, 2)) + ":" + std::string(d.substr(11, 2)) + ":" +
                  std::string(d.substr(13, 2)) + "Z";
  auto t = parse_rfc3339(r);
  if (!t) return std::nullopt;
  return system_clock::time_point{t->time_since_epoch()};
}

}  // namespace

struct aws_emulator::impl {
  explicit impl(aws_emulator_options o) : opt(std::move(o)), loop(opt.bind, opt.port), tls(asio::ssl::context::tls_server) {
    cert = use_new_certificate(tls, "genesys-relay AWS emulator " + std::to_string(loop.port()));
    for (auto& k : opt.keys) keys[k.access_key_id] = k;
    if (!opt.events_file.empty()) events_out.open(opt.events_file, std::ios::app);
  }

  aws_emulator_options opt;
  loopback_loop loop;
  asio::ssl::context tls;
  certificate cert;
  std::map<std::string, aws_key> keys;
  std::set<std::string> issued;
  std::set<std::string> imds_tokens;
  aws::signer signer;
  std::mt19937_64 rng{std::random_device{}()};
  std::ofstream events_out;
  std::chrono::steady_clock::time_point arrived;  // of the PutEvents request being answered
  std::vector<accepted_event> accepted;
  std::vector<put_events_record> log;
  aws_emulator_stats stats;
  seconds skew{0};
  int throttle = 0, failing = 0, slow = 0;
  unsigned fail_status = 500;
  milliseconds slow_delay{0};
  std::vector<std::string> entry_codes;
  int entry_code_requests = 0;

  system_clock::time_point now() const { return system_clock::now() + skew; }

  std::string random_string(std::string_view alphabet, std::size_t n) {
    std::uniform_int_distribution<std::size_t> d(0, alphabet.size() - 1);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[d(rng)];
    return s;
  }

  static std::string uuid() { return uuid_v4(); }

  aws_key issue() {
    aws_key k{"ASIA" + random_string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
              random_string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40),
              "IQoJb3JpZ2luX2VjE" + random_string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 60),
              now() + opt.issued_lifetime};
    keys[k.access_key_id] = k;
    issued.insert(k.access_key_id);
    ++stats.credentials_issued;
    return k;
  }

  // --- answers ----------------------------------------------------------------------------

  http_response_msg aws_error(const http_request_msg& req, unsigned status, std::string_view code, std::string_view message) {
    json::object body{{"__type", code}, {"message", message}};
    auto res = make_response(req, status, kJson, json::serialize(body));
    res.set("x-amzn-RequestId", uuid());
    return res;
  }

  http_response_msg sts_error(const http_request_msg& req, unsigned status, std::string_view code, std::string_view message) {
    auto body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" +
                std::string(code) + "</Code><Message>" + xml_escape(message) + "</Message></Error><RequestId>" + uuid() +
                "</RequestId></ErrorResponse>";
    return make_response(req, status, "text/xml", body);
  }

  // --- SigV4 verification -------------------------------------------------------------------

  // Why a request's signature is refused, in the JSON services' codes; STS renders them in its own.
  struct denial {
    unsigned status;
    std::string code, message;
  };

  std::optional<denial> check_signature(const http_request_msg& req, std::string& akid, std::string_view service) {
    auto authz = header(req, "Authorization");
    if (authz.empty()) return denial{400, "MissingAuthenticationTokenException", "Missing Authentication Token"};
    auto a = aws::parse_authorization_header(authz);
    if (!a)
      return denial{400, "IncompleteSignatureException",
                       "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=" +
                           authz.substr(0, authz.find(' '))};
    auto kit = keys.find(a->access_key_id);
    if (kit == keys.end())
      return denial{400, "UnrecognizedClientException", "The security token included in the request is invalid."};
    const auto& key = kit->second;
    if (header(req, "X-Amz-Security-Token") != key.session_token)
      return denial{400, "UnrecognizedClientException", "The security token included in the request is invalid."};
    if (key.expiration && now() >= *key.expiration)
      return denial{400, "ExpiredTokenException", "The security token included in the request is expired"};
    auto amzdate = header(req, "X-Amz-Date");
    auto signed_at = parse_amz_date(amzdate);
    if (!signed_at)
      return denial{400, "IncompleteSignatureException",
                       "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."};
    auto server = now();
    if (*signed_at < server - kSkew)
      return denial{400, "InvalidSignatureException",
                       "Signature expired: " + amzdate + " is now earlier than " + aws::amz_date(server - kSkew) + " (" +
                           aws::amz_date(server) + " - 5 min.)"};
    if (*signed_at > server + kSkew)
      return denial{400, "InvalidSignatureException",
                       "Signature not yet current: " + amzdate + " is still later than " + aws::amz_date(server + kSkew) +
                           " (" + aws::amz_date(server) + " + 5 min.)"};
    if (a->date != amzdate.substr(0, 8))
      return denial{400, "InvalidSignatureException",
                       "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + a->date +
                           "' != '" + amzdate.substr(0, 8) + "', from '" + amzdate + "'."};
    if (a->region != opt.region)
      return denial{400, "InvalidSignatureException",
                       "Credential should be scoped to a valid region. (expected " + opt.region + ", got " + a->region + ")"};
    if (a->service != service)
      return denial{400, "InvalidSignatureException", "Credential should be scoped to correct service: '" + std::string(service) + "'. "};
    if (std::find(a->signed_headers.begin(), a->signed_headers.end(), "host") == a->signed_headers.end())
      return denial{400, "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."};
    auto body_hash = header(req, "X-Amz-Content-Sha256");
    if (!body_hash.empty() && body_hash != aws::sha256_hex(req.body()))
      return denial{400, "InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed."};

    aws::signable_request sr{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
    for (auto& f : req) sr.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    aws::credentials creds{key.access_key_id, secret(key.secret_access_key), secret(key.session_token), std::nullopt, "emulator"};
    aws::signing_options so{.region = a->region, .service = a->service};
    auto parts = signer.compute(sr, creds, so, amzdate, a->signed_headers);
    if (parts.signature != a->signature)
      return denial{400, "InvalidSignatureException",
                       "The request signature we calculated does not match the signature you provided. Check your AWS "
                       "Secret Access Key and signing method. Consult the service documentation for details."};
    akid = a->access_key_id;
    return std::nullopt;
  }

  std::optional<http_response_msg> verify(const http_request_msg& req, std::string& akid) {
    auto d = check_signature(req, akid, "events");
    if (!d) return std::nullopt;
    return aws_error(req, d->status, d->code, d->message);
  }

  // --- PutEvents ------------------------------------------------------------------------------

  static std::size_t entry_size(const json::object& e) {
    std::size_t n = e.contains("Time") ? 14 : 0;
    for (auto k : {"Source", "DetailType", "Detail"})
      if (auto* v = e.if_contains(k); v && v->is_string()) n += v->get_string().size();
    if (auto* r = e.if_contains("Resources"); r && r->is_array())
      for (auto& x : r->get_array())
        if (x.is_string()) n += x.get_string().size();
    return n;
  }

  static std::string entry_error(const json::object& e) {
    auto str = [&](const char* k) -> std::string_view {
      auto* v = e.if_contains(k);
      return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
    };
    if (str("Source").empty()) return "InvalidArgument|Parameter Source is not valid. Reason: Source is a required argument.";
    if (str("DetailType").empty())
      return "InvalidArgument|Parameter DetailType is not valid. Reason: DetailType is a required argument.";
    if (!e.contains("Detail")) return "InvalidArgument|Parameter Detail is not valid. Reason: Detail is a required argument.";
    boost::system::error_code ec;
    auto detail = json::parse(str("Detail"), ec);
    if (ec || !detail.is_object()) return "MalformedDetail|Detail is malformed.";
    return {};
  }

  static std::string injected_message(std::string_view code) {
    if (code == "ThrottlingException") return "Rate exceeded";
    if (code == "InternalFailure") return "Internal service failure";
    return "Injected failure (" + std::string(code) + ")";
  }

  void record(const json::object& e, const std::string& id, const std::string& akid) {
    auto str = [&](const char* k) {
      auto* v = e.if_contains(k);
      return v && v->is_string() ? std::string(v->get_string()) : std::string{};
    };
    accepted_event ev{id, str("Source"), str("DetailType"), str("Detail"), str("EventBusName"), str("TraceHeader"), {},
                      std::nullopt, akid};
    if (auto* r = e.if_contains("Resources"); r && r->is_array())
      for (auto& x : r->get_array())
        if (x.is_string()) ev.resources.emplace_back(x.get_string());
    if (auto* t = e.if_contains("Time"); t && t->is_number()) ev.time = static_cast<std::int64_t>(t->to_number<double>());
    if (events_out) {
      json::object line{{"EventId", id}, {"Source", ev.source}, {"DetailType", ev.detail_type}, {"Detail", ev.detail},
                        {"EventBusName", ev.event_bus.empty() ? "default" : ev.event_bus}, {"Account", opt.account_id},
                        {"Region", opt.region}, {"ReceivedAt", iso(now())}};
      json::array res;
      for (auto& r : ev.resources) res.emplace_back(r);
      line["Resources"] = std::move(res);
      if (ev.time) line["Time"] = *ev.time;
      if (!ev.trace_header.empty()) line["TraceHeader"] = ev.trace_header;
      events_out << json::serialize(line) << '\n';
      events_out.flush();
    }
    ++stats.accepted;
    if (opt.on_event) opt.on_event(ev, arrived);
    if (opt.keep_events) accepted.push_back(std::move(ev));
  }

  http_response_msg put_events(const http_request_msg& req, const std::string& akid) {
    ++stats.put_events_requests;
    put_events_record rec;
    auto refuse = [&](unsigned status, std::string_view code, std::string_view message) {
      ++stats.rejected_requests;
      rec.answered = code;
      log.push_back(rec);
      return aws_error(req, status, code, message);
    };
    if (throttle > 0) {
      --throttle;
      return refuse(400, "ThrottlingException", "Rate exceeded");
    }
    if (failing > 0) {
      --failing;
      return fail_status == 503 ? refuse(503, "ServiceUnavailable", "Service is unavailable")
                                : refuse(fail_status, "InternalException", "Internal error");
    }
    boost::system::error_code ec;
    auto body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) return refuse(400, "SerializationException", "Start of structure or map found where not expected.");
    auto* entries_v = body.get_object().if_contains("Entries");
    if (!entries_v || entries_v->is_null())
      return refuse(400, "ValidationException",
                    "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
    if (!entries_v->is_array()) return refuse(400, "SerializationException", "Unexpected value type in 'Entries'.");
    auto& entries = entries_v->get_array();
    rec.entries = entries.size();
    for (auto& e : entries)
      if (e.is_object()) rec.entry_bytes += entry_size(e.get_object());
    if (entries.empty())
      return refuse(400, "ValidationException",
                    "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1");
    if (entries.size() > 10)
      return refuse(400, "ValidationException",
                    "1 validation error detected: Value '[PutEventsRequestEntry(...) x " + std::to_string(entries.size()) +
                        "]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10");
    if (rec.entry_bytes > opt.max_request_bytes)
      return refuse(400, "ValidationException", "Total size of the entries in the request is over the limit.");

    std::vector<std::string> codes;
    if (entry_code_requests > 0) {
      --entry_code_requests;
      codes = entry_codes;
    }
    json::array results;
    std::size_t failed = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::string err = entries[i].is_object() ? entry_error(entries[i].get_object()) : "InvalidArgument|Entry is not an object.";
      if (err.empty() && i < codes.size() && !codes[i].empty()) err = codes[i] + "|" + injected_message(codes[i]);
      if (!err.empty()) {
        auto bar = err.find('|');
        results.emplace_back(json::object{{"ErrorCode", err.substr(0, bar)}, {"ErrorMessage", err.substr(bar + 1)}});
        ++failed;
        continue;
      }
      auto id = uuid();
      record(entries[i].get_object(), id, akid);
      results.emplace_back(json::object{{"EventId", id}});
    }
    stats.failed_entries += failed;
    rec.answered = "200";
    log.push_back(rec);
    json::object out{{"Entries", std::move(results)}, {"FailedEntryCount", failed}};
    auto res = make_response(req, 200, kJson, json::serialize(out));
    res.set("x-amzn-RequestId", uuid());
    return res;
  }

  // --- credential endpoints -------------------------------------------------------------------

  http_response_msg sts(const http_request_msg& req) {
    ++stats.sts_calls;
    auto form = parse_form(req.body());
    if (form["Action"] == "AssumeRoleWithWebIdentity") return assume_role_with_web_identity(req, form);
    if (form["Action"] == "AssumeRole") return assume_role(req, form);
    return sts_error(req, 400, "InvalidAction", "Could not find operation " + form["Action"] + " for version " + form["Version"]);
  }

  std::string sts_credentials_xml(const aws_key& k, std::string_view role_arn, std::string_view session) {
    return "<Credentials><AccessKeyId>" + k.access_key_id + "</AccessKeyId><SecretAccessKey>" + xml_escape(k.secret_access_key) +
           "</SecretAccessKey><SessionToken>" + xml_escape(k.session_token) + "</SessionToken><Expiration>" +
           iso(*k.expiration) + "</Expiration></Credentials><AssumedRoleUser><Arn>" + xml_escape(role_arn) + "/" +
           xml_escape(session) + "</Arn></AssumedRoleUser>";
  }

  http_response_msg sts_result(const http_request_msg& req, std::string_view action, const std::string& inner) {
    auto body = "<" + std::string(action) + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" +
                std::string(action) + "Result>" + inner + "</" + std::string(action) + "Result><ResponseMetadata><RequestId>" +
                uuid() + "</RequestId></ResponseMetadata></" + std::string(action) + "Response>";
    return make_response(req, 200, "text/xml", body);
  }

  http_response_msg assume_role_with_web_identity(const http_request_msg& req, std::map<std::string, std::string>& form) {
    if (form["WebIdentityToken"] != opt.web_identity_token)
      return sts_error(req, 400, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.");
    if (form["RoleArn"] != opt.role_arn)
      return sts_error(req, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    if (form["RoleSessionName"].empty())
      return sts_error(req, 400, "ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
    return sts_result(req, "AssumeRoleWithWebIdentity", sts_credentials_xml(issue(), opt.role_arn, form["RoleSessionName"]));
  }

  // sts:AssumeRole is signed (service "sts") by the caller's keys, unlike the web-identity call.
  http_response_msg assume_role(const http_request_msg& req, std::map<std::string, std::string>& form) {
    ++stats.assume_role_calls;
    std::string akid;
    if (auto d = check_signature(req, akid, "sts")) {
      ++stats.signature_failures;
      if (d->code == "UnrecognizedClientException") return sts_error(req, 403, "InvalidClientTokenId", d->message);
      if (d->code == "ExpiredTokenException") return sts_error(req, 400, "ExpiredToken", d->message);
      if (d->code == "InvalidSignatureException") return sts_error(req, 403, "SignatureDoesNotMatch", d->message);
      return sts_error(req, d->status, d->code, d->message);
    }
    stats.assume_role_callers.push_back(akid);
    auto& role = form["RoleArn"];
    if (std::find(opt.assumable_roles.begin(), opt.assumable_roles.end(), role) == opt.assumable_roles.end())
      return sts_error(req, 403, "AccessDenied", "User: arn:aws:iam::" + opt.account_id + ":user/" + akid +
                                                   " is not authorized to perform: sts:AssumeRole on resource: " + role);
    if (!opt.external_id.empty() && form["ExternalId"] != opt.external_id)
      return sts_error(req, 403, "AccessDenied", "User: arn:aws:iam::" + opt.account_id + ":user/" + akid +
                                                   " is not authorized to perform: sts:AssumeRole on resource: " + role);
    if (form["RoleSessionName"].empty())
      return sts_error(req, 400, "ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
    if (auto& d = form["DurationSeconds"]; !d.empty()) {
      auto n = std::atol(d.c_str());
      if (n < 900 || n > 43200)
        return sts_error(req, 400, "ValidationError", "1 validation error detected: Value '" + d +
                                                          "' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200");
    }
    return sts_result(req, "AssumeRole", sts_credentials_xml(issue(), role, form["RoleSessionName"]));
  }

  // SSO OIDC CreateToken with a refresh token, as the SDKs renew an sso-session's access token.
  http_response_msg sso_create_token(const http_request_msg& req) {
    auto invalid = [&](std::string_view error, std::string_view description) {
      json::object body{{"error", error}, {"error_description", description}};
      auto res = make_response(req, 400, "application/json", json::serialize(body));
      res.set("x-amzn-ErrorType", error == "invalid_client" ? "InvalidClientException" : "InvalidGrantException");
      return res;
    };
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    auto* o = ec ? nullptr : v.if_object();
    auto field = [&](const char* k) -> std::string {
      auto* f = o ? o->if_contains(k) : nullptr;
      return f && f->is_string() ? std::string(f->get_string()) : std::string{};
    };
    if (field("clientId") != opt.sso_client_id || field("clientSecret") != opt.sso_client_secret)
      return invalid("invalid_client", "Invalid client provided");
    if (field("grantType") != "refresh_token" || field("refreshToken") != opt.sso_refresh_token)
      return invalid("invalid_grant", "Invalid refresh token provided");
    ++stats.sso_token_refreshes;
    json::object out{{"accessToken", opt.sso_access_token}, {"tokenType", "Bearer"}, {"expiresIn", 3600},
                     {"refreshToken", opt.sso_refresh_token}};
    return make_response(req, 200, "application/json", json::serialize(out));
  }

  // IAM Identity Center's portal: GetRoleCredentials for the token `aws sso login` cached.
  http_response_msg sso_role_credentials(const http_request_msg& req, const std::string& target) {
    ++stats.sso_calls;
    auto unauthorized = [&] {
      auto res = make_response(req, 401, "application/json", R"({"message":"Session token not found or invalid"})");
      res.set("x-amzn-ErrorType", "UnauthorizedException");
      return res;
    };
    if (header(req, "x-amz-sso_bearer_token") != opt.sso_access_token) return unauthorized();
    auto qmark = target.find('?');
    auto q = parse_form(qmark == std::string::npos ? std::string_view{} : std::string_view(target).substr(qmark + 1));
    if (q["account_id"] != opt.account_id || q["role_name"] != opt.sso_role_name) {
      auto res = make_response(req, 403, "application/json", R"({"message":"No access"})");
      res.set("x-amzn-ErrorType", "ForbiddenException");
      return res;
    }
    auto k = issue();
    json::object rc{{"accessKeyId", k.access_key_id}, {"secretAccessKey", k.secret_access_key},
                    {"sessionToken", k.session_token},
                    {"expiration", duration_cast<milliseconds>(k.expiration->time_since_epoch()).count()}};
    return make_response(req, 200, "application/json", json::serialize(json::object{{"roleCredentials", rc}}));
  }

  json::object metadata_credentials(const aws_key& k) {
    return {{"Code", "Success"}, {"LastUpdated", iso(now())}, {"Type", "AWS-HMAC"}, {"AccessKeyId", k.access_key_id},
            {"SecretAccessKey", k.secret_access_key}, {"Token", k.session_token}, {"Expiration", iso(*k.expiration)}};
  }

  http_response_msg container(const http_request_msg& req) {
    ++stats.container_calls;
    if (!opt.container_authorization.empty() && header(req, "Authorization") != opt.container_authorization)
      return make_response(req, 401, "application/json", R"({"message":"Authorization header is missing or invalid"})");
    auto creds = metadata_credentials(issue());
    creds["RoleArn"] = opt.role_arn;
    return make_response(req, 200, "application/json", json::serialize(creds));
  }

  http_response_msg imds(const http_request_msg& req, const std::string& target) {
    ++stats.imds_calls;
    if (target == "/latest/api/token") {
      if (req.method() != http::verb::put) return make_response(req, 405, "text/plain", "");
      if (header(req, "X-aws-ec2-metadata-token-ttl-seconds").empty()) return make_response(req, 400, "text/plain", "");
      auto token = random_string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 56) + "==";
      imds_tokens.insert(token);
      return make_response(req, 200, "text/plain", token);
    }
    if (!imds_tokens.contains(header(req, "X-aws-ec2-metadata-token"))) return make_response(req, 401, "text/plain", "");
    constexpr std::string_view base = "/latest/meta-data/iam/security-credentials/";
    if (target == base) return make_response(req, 200, "text/plain", opt.instance_role);
    if (target == std::string(base) + opt.instance_role)
      return make_response(req, 200, "text/plain", json::serialize(metadata_credentials(issue())));
    return make_response(req, 404, "text/plain", "");
  }

  asio::awaitable<http_response_msg> handle(http_request_msg& req) {
    auto read_at = std::chrono::steady_clock::now();  // the whole request has been read
    std::string target(req.target());
    if (target.starts_with("/latest/")) co_return imds(req, target);
    if (target.starts_with("/container/")) co_return container(req);
    if (target.starts_with("/federation/credentials") && req.method() == http::verb::get)
      co_return sso_role_credentials(req, target);
    if (target == "/token" && req.method() == http::verb::post) co_return sso_create_token(req);
    auto amz_target = header(req, "X-Amz-Target");
    if (req.method() == http::verb::post && amz_target.empty() &&
        header(req, "Content-Type").starts_with("application/x-www-form-urlencoded"))
      co_return sts(req);
    if (req.method() != http::verb::post || target != "/")
      co_return aws_error(req, 404, "UnknownOperationException", "no such resource: " + target);
    std::string akid;
    if (auto denied = verify(req, akid)) {
      ++stats.signature_failures;
      co_return *denied;
    }
    if (amz_target != "AWSEvents.PutEvents")
      co_return aws_error(req, 400, "UnknownOperationException", "Unsupported operation: " + amz_target);
    if (!header(req, "Content-Type").starts_with(kJson))
      co_return aws_error(req, 400, "SerializationException", "Content-Type must be application/x-amz-json-1.1");
    if (slow > 0) {
      --slow;
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(slow_delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    arrived = read_at;
    co_return put_events(req, akid);
  }
};

aws_emulator::aws_emulator(aws_emulator_options options) : impl_(std::make_shared<impl>(std::move(options))) {
  // A raw pointer: the handler lives in the loop's io_context, which impl owns (no cycle).
  auto* self = impl_.get();
  serve_http(impl_->loop, impl_->tls, [self](http_request_msg& req) { return self->handle(req); });
  impl_->loop.start();
}

aws_emulator::~aws_emulator() { impl_->loop.stop(); }

std::uint16_t aws_emulator::port() const noexcept { return impl_->loop.port(); }
std::string aws_emulator::http_url() const { return "http://127.0.0.1:" + std::to_string(port()); }
std::string aws_emulator::https_url() const { return "https://127.0.0.1:" + std::to_string(port()); }
const std::string& aws_emulator::certificate_pem() const noexcept { return impl_->cert.cert_pem; }
const aws_emulator_options& aws_emulator::options() const noexcept { return impl_->opt; }

void aws_emulator::throttle_next(int n) { impl_->loop.run_on_loop([&] { impl_->throttle = n; }); }
void aws_emulator::fail_next(int n, unsigned status) {
  impl_->loop.run_on_loop([&] {
    impl_->failing = n;
    impl_->fail_status = status;
  });
}
void aws_emulator::fail_entries(std::vector<std::string> codes, int requests) {
  impl_->loop.run_on_loop([&] {
    impl_->entry_codes = std::move(codes);
    impl_->entry_code_requests = requests;
  });
}
void aws_emulator::slow_next(int n, milliseconds delay) {
  impl_->loop.run_on_loop([&] {
    impl_->slow = n;
    impl_->slow_delay = delay;
  });
}
void aws_emulator::skew_clock(seconds offset) { impl_->loop.run_on_loop([&] { impl_->skew = offset; }); }
void aws_emulator::add_key(aws_key key) { impl_->loop.run_on_loop([&] { impl_->keys[key.access_key_id] = key; }); }
void aws_emulator::revoke_issued_credentials() {
  impl_->loop.run_on_loop([&] {
    for (auto& id : impl_->issued) impl_->keys.erase(id);
    impl_->issued.clear();
  });
}

std::vector<accepted_event> aws_emulator::events() const {
  std::vector<accepted_event> out;
  impl_->loop.run_on_loop([&] { out = impl_->accepted; });
  return out;
}
std::vector<put_events_record> aws_emulator::put_events_log() const {
  std::vector<put_events_record> out;
  impl_->loop.run_on_loop([&] { out = impl_->log; });
  return out;
}
aws_emulator_stats aws_emulator::stats() const {
  aws_emulator_stats out;
  impl_->loop.run_on_loop([&] { out = impl_->stats; });
  return out;
}

}  // namespace grm::sim
