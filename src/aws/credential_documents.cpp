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

}  // namespace grm::aws
