#include "aws/credential_documents.hpp"

#include <boost/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace grm::aws {

namespace json = boost::json;
using namespace std::chrono;

namespace {

[[noreturn]] void throw_auth(const std::string& m) { throw relay_error(error_kind::auth, m); }

// The text of the first <tag>...</tag> in `xml`, with the five predefined entities decoded. STS
// answers are small and flat; this is all of XML they need.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  auto b = xml.find(open);
  if (b == std::string_view::npos) return std::nullopt;
  b += open.size();
  auto e = xml.find(close, b);
  if (e == std::string_view::npos) return std::nullopt;
  std::string out;
  auto raw = xml.substr(b, e - b);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    static const std::pair<std::string_view, char> entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (auto& [name, ch] : entities) {
      if (raw.substr(i, name.size()) == name) {
        out += ch;
        i += name.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += '&';
  }
  return out;
}

}  // namespace

std::optional<system_clock::time_point> parse_aws_time(std::string_view text) {
  auto t = parse_rfc3339(text);
  if (!t) return std::nullopt;
  return system_clock::time_point{t->time_since_epoch()};
}

credentials parse_sts_credentials(std::string_view xml, std::string_view source) {
  auto id = xml_text(xml, "AccessKeyId");
  auto key = xml_text(xml, "SecretAccessKey");
  auto token = xml_text(xml, "SessionToken");
  auto exp = xml_text(xml, "Expiration");
  if (!id || !key || !token || !exp)
    throw relay_error(error_kind::invalid_payload, std::string(source) + ": the STS answer has no complete Credentials element");
  credentials c{*id, secret(*key), secret(*token), parse_aws_time(*exp), std::string(source)};
  if (!c.expiration) throw relay_error(error_kind::invalid_payload, std::string(source) + ": bad Expiration '" + *exp + "'");
  return c;
}

std::string sts_error_message(std::string_view xml) {
  auto code = xml_text(xml, "Code");
  auto message = xml_text(xml, "Message");
  if (!code) return "(no STS error document)";
  return *code + (message ? ": " + *message : "");
}

credentials parse_metadata_credentials(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  auto* o = ec ? nullptr : v.if_object();
  auto field = [&](std::string_view k) -> std::optional<std::string> {
    if (!o) return std::nullopt;
    auto* f = o->if_contains(k);
    if (!f || !f->is_string()) return std::nullopt;
    return std::string(f->get_string());
  };
  if (auto code = field("Code"); code && *code != "Success")
    throw relay_error(error_kind::auth, std::string(source) + " reported Code " + *code);
  auto id = field("AccessKeyId"), key = field("SecretAccessKey"), token = field("Token"), exp = field("Expiration");
  if (!id || !key)
    throw relay_error(error_kind::invalid_payload, std::string(source) + ": the answer has no AccessKeyId/SecretAccessKey");
  credentials c{*id, secret(*key), secret(token.value_or("")), std::nullopt, std::string(source)};
  if (exp) {
    c.expiration = parse_aws_time(*exp);
    if (!c.expiration) throw relay_error(error_kind::invalid_payload, std::string(source) + ": bad Expiration '" + *exp + "'");
  }
  return c;
}

credentials parse_process_output(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  auto* o = ec ? nullptr : v.if_object();
  if (!o) throw_auth(std::string(source) + " did not print a JSON object");
  auto field = [&](std::string_view k) -> std::optional<std::string> {
    auto* f = o->if_contains(k);
    if (!f || !f->is_string()) return std::nullopt;
    return std::string(f->get_string());
  };
  auto* version = o->if_contains("Version");
  if (!version || !version->is_int64() || version->get_int64() != 1)
    throw_auth(std::string(source) + ": \"Version\" must be 1");
  auto id = field("AccessKeyId"), key = field("SecretAccessKey");
  if (!id || !key) throw_auth(std::string(source) + ": AccessKeyId and SecretAccessKey are required");
  credentials c{*id, secret(*key), secret(field("SessionToken").value_or("")), std::nullopt, std::string(source)};
  if (auto exp = field("Expiration")) {
    c.expiration = parse_aws_time(*exp);
    if (!c.expiration) throw_auth(std::string(source) + ": bad Expiration '" + *exp + "'");
  }
  return c;
}

credentials parse_sso_role_credentials(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  auto* top = ec ? nullptr : v.if_object();
  auto* rc = top ? top->if_contains("roleCredentials") : nullptr;
  auto* o = rc ? rc->if_object() : nullptr;
  auto field = [&](std::string_view k) -> std::optional<std::string> {
    auto* f = o ? o->if_contains(k) : nullptr;
    if (!f || !f->is_string()) return std::nullopt;
    return std::string(f->get_string());
  };
  auto id = field("accessKeyId"), key = field("secretAccessKey"), token = field("sessionToken");
  auto* exp = o ? o->if_contains("expiration") : nullptr;
  if (!id || !key || !token || !exp || !exp->is_int64())
    throw relay_error(error_kind::invalid_payload, std::string(source) + ": the answer has no complete roleCredentials");
  return credentials{*id, secret(*key), secret(*token), system_clock::time_point{milliseconds{exp->get_int64()}},
                     std::string(source)};
}

std::string sso_error_message(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  auto* o = ec ? nullptr : v.if_object();
  auto* m = o ? o->if_contains("message") : nullptr;
  if (!m || !m->is_string()) return "(no error message)";
  return safe_excerpt(m->get_string(), 200);
}

namespace {
json::object object_of(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}
std::string string_in(const json::object& o, std::string_view k) {
  auto* f = o.if_contains(k);
  return f && f->is_string() ? std::string(f->get_string()) : std::string{};
}
}  // namespace

std::optional<sso_token_cache> parse_sso_token_cache(std::string_view text) {
  auto o = object_of(text);
  sso_token_cache c{string_in(o, "accessToken"), string_in(o, "expiresAt"), false};
  if (c.access_token.empty() || c.expires_at.empty()) return std::nullopt;
  c.refreshable = !string_in(o, "refreshToken").empty() && !string_in(o, "clientId").empty() &&
                  !string_in(o, "clientSecret").empty();
  return c;
}

std::string sso_refresh_request(std::string_view cache_text) {
  auto o = object_of(cache_text);
  json::object body{{"grantType", "refresh_token"}, {"clientId", string_in(o, "clientId")},
                    {"clientSecret", string_in(o, "clientSecret")}, {"refreshToken", string_in(o, "refreshToken")}};
  return json::serialize(body);
}

std::optional<sso_renewal> apply_sso_renewal(std::string_view cache_text, std::string_view answer, system_clock::time_point now) {
  auto a = object_of(answer);
  auto token = string_in(a, "accessToken");
  auto* lifetime = a.if_contains("expiresIn");
  if (token.empty() || !lifetime || !lifetime->is_int64() || lifetime->get_int64() <= 0 ||
      lifetime->get_int64() > 366LL * 86400)
    return std::nullopt;
  auto cache = object_of(cache_text);
  cache["accessToken"] = token;
  cache["expiresAt"] = format_rfc3339(time_point_cast<milliseconds>(now + seconds{lifetime->get_int64()}));
  if (auto r = string_in(a, "refreshToken"); !r.empty()) cache["refreshToken"] = r;
  return sso_renewal{token, json::serialize(cache)};
}

std::string sso_oidc_error(std::string_view answer) {
  auto o = object_of(answer);
  auto error = string_in(o, "error"), description = string_in(o, "error_description");
  std::string out;
  if (!error.empty()) out += " " + safe_excerpt(error, 64);
  if (!description.empty()) out += ": " + safe_excerpt(description, 200);
  return out;
}

}  // namespace grm::aws
