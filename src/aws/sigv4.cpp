#include "aws/sigv4.hpp"

#include <map>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "core/digest.hpp"

namespace grm::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// The project's SHA-256 / HMAC-SHA256 (core/digest.hpp), under the names the SigV4 spec uses.
std::string hmac(std::string_view key, std::string_view data) { return hmac_sha256(key, data); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trim, and fold every internal run of whitespace (including folded line breaks) into one space.
std::string canonical_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() &&
        (hi = hex_digit(s[i + 1])) >= 0 && (lo = hex_digit(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 remove_dot_segments plus collapsing repeated slashes; a trailing slash is kept.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t i = 0;
  while (i <= path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    auto seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto s : segments) {
    out += '/';
    out += s;
  }
  if (out.empty()) return "/";
  if (path.ends_with('/')) out += '/';
  return out;
}

bool never_signed(std::string_view lower_name) {
  // What the SDKs leave unsigned: proxies and the transport may change these.
  static constexpr std::string_view names[] = {
      "authorization", "user-agent", "expect", "x-amzn-trace-id", "connection", "keep-alive",
      "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"};
  return std::find(std::begin(names), std::end(names), lower_name) != std::end(names);
}

struct canonical_input {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // encoded name, encoded value
  std::map<std::string, std::string> headers;              // lower name → canonical value(s)
};

canonical_input canonicalise(const signable_request& req, const signing_options& opt) {
  canonical_input in;
  std::string_view target = req.target;
  auto q = target.find('?');
  auto path = target.substr(0, q);
  if (path.empty()) path = "/";
  in.path = uri_encode(opt.normalize_path ? normalize_path(path) : std::string(path), true);
  if (q != std::string_view::npos) {
    auto query = target.substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      auto name = pair.substr(0, eq);
      auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      in.query.emplace_back(uri_encode(percent_decode(name), false), uri_encode(percent_decode(value), false));
    }
  }
  for (auto& h : req.headers) {
    auto name = lower(h.name);
    auto value = canonical_value(h.value);
    auto [it, fresh] = in.headers.try_emplace(name, value);
    if (!fresh) it->second += "," + value;  // repeated header: values in order, comma-joined
  }
  return in;
}

std::string join_query(std::vector<std::pair<std::string, std::string>> q) {
  std::sort(q.begin(), q.end());
  std::string out;
  for (auto& [k, v] : q) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string scope_of(std::string_view date, const signing_options& opt) {
  return std::string(date) + "/" + opt.region + "/" + opt.service + "/aws4_request";
}

void set_header(std::vector<net::header>& headers, std::string_view name, std::string value) {
  std::erase_if(headers, [&](const net::header& h) { return lower(h.name) == lower(name); });
  headers.push_back({std::string(name), std::move(value)});
}

}  // namespace

std::string sha256_hex(std::string_view data) { return grm::sha256_hex(data); }

std::string amz_date(std::chrono::system_clock::time_point t) {
  auto tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string signer::signing_key(const credentials& creds, std::string_view date, const signing_options& opt) {
  auto id = creds.access_key_id + "/" + std::string(date) + "/" + opt.region + "/" + opt.service;
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(id); it != keys_.end() && it->second.secret_access_key == creds.secret_access_key)
    return it->second.key;
  auto k = hmac("AWS4" + std::string(creds.secret_access_key.reveal()), date);
  k = hmac(k, opt.region);
  k = hmac(k, opt.service);
  k = hmac(k, "aws4_request");
  if (keys_.size() >= 64) keys_.clear();  // days roll over; old keys are never needed again
  keys_[id] = {creds.secret_access_key, k};
  return k;
}

std::size_t signer::cached_keys() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

signature_parts signer::compute(const signable_request& req, const credentials& creds, const signing_options& opt,
                                std::string_view amzdate, const std::vector<std::string>& signed_header_names) {
  auto in = canonicalise(req, opt);
  signature_parts p;
  std::string headers_block;
  for (auto& name : signed_header_names) {
    auto it = in.headers.find(lower(name));
    headers_block += lower(name) + ":" + (it == in.headers.end() ? "" : it->second) + "\n";
    p.signed_headers += (p.signed_headers.empty() ? "" : ";") + lower(name);
  }
  std::string payload_hash;
  if (auto it = in.headers.find("x-amz-content-sha256"); it != in.headers.end() && it->second != "UNSIGNED-PAYLOAD")
    payload_hash = it->second;
  else
    payload_hash = sha256_hex(req.body);
  p.canonical_request = req.method + "\n" + in.path + "\n" + join_query(in.query) + "\n" + headers_block + "\n" +
                        p.signed_headers + "\n" + payload_hash;
  auto date = amzdate.substr(0, 8);
  p.string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amzdate) + "\n" + scope_of(date, opt) + "\n" +
                     sha256_hex(p.canonical_request);
  auto sig = hmac(signing_key(creds, date, opt), p.string_to_sign);
  p.signature = grm::hex(sig);
  p.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" + scope_of(date, opt) +
                    ", SignedHeaders=" + p.signed_headers + ", Signature=" + p.signature;
  return p;
}

signature_parts signer::sign(signable_request& req, const credentials& creds, const signing_options& opt,
                             std::chrono::system_clock::time_point now) {
  auto date = amz_date(now);
  set_header(req.headers, "X-Amz-Date", date);
  std::erase_if(req.headers, [](const net::header& h) { return lower(h.name) == "authorization"; });
  bool token = !creds.session_token.empty();
  if (token && opt.sign_session_token) set_header(req.headers, "X-Amz-Security-Token", std::string(creds.session_token.reveal()));
  if (opt.add_content_sha256) set_header(req.headers, "X-Amz-Content-Sha256", sha256_hex(req.body));
  std::vector<std::string> names;
  for (auto& h : req.headers)
    if (auto n = lower(h.name); !never_signed(n)) names.push_back(n);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  auto parts = compute(req, creds, opt, date, names);
  req.headers.push_back({"Authorization", parts.authorization});
  if (token && !opt.sign_session_token) set_header(req.headers, "X-Amz-Security-Token", std::string(creds.session_token.reveal()));
  return parts;
}

std::string signer::presign(const signable_request& req, const credentials& creds, const signing_options& opt,
                            std::chrono::system_clock::time_point now, std::chrono::seconds expires,
                            signature_parts* out) {
  auto date = amz_date(now);
  std::vector<std::string> names;
  for (auto& h : req.headers)
    if (auto n = lower(h.name); !never_signed(n)) names.push_back(n);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_list;
  for (auto& n : names) signed_list += (signed_list.empty() ? "" : ";") + n;
  auto enc = [](std::string_view s) { return uri_encode(s, false); };
  std::string added = "X-Amz-Algorithm=" + std::string(kAlgorithm) +
                      "&X-Amz-Credential=" + enc(creds.access_key_id + "/" + scope_of(date.substr(0, 8), opt)) +
                      "&X-Amz-Date=" + date + "&X-Amz-Expires=" + std::to_string(expires.count()) +
                      "&X-Amz-SignedHeaders=" + enc(signed_list);
  bool token = !creds.session_token.empty();
  if (token && opt.sign_session_token) added += "&X-Amz-Security-Token=" + enc(creds.session_token.reveal());
  signable_request with_query = req;
  with_query.target += (req.target.find('?') == std::string::npos ? "?" : "&") + added;
  auto parts = compute(with_query, creds, opt, date, names);
  if (out) *out = parts;
  auto target = with_query.target;
  if (token && !opt.sign_session_token) target += "&X-Amz-Security-Token=" + enc(creds.session_token.reveal());
  return target + "&X-Amz-Signature=" + parts.signature;
}

std::optional<authorization_header> parse_authorization_header(std::string_view v) {
  constexpr std::string_view algo = "AWS4-HMAC-SHA256 ";
  if (!v.starts_with(algo)) return std::nullopt;
  v.remove_prefix(algo.size());
  std::map<std::string, std::string> parts;
  while (!v.empty()) {
    while (!v.empty() && (v.front() == ' ' || v.front() == ',')) v.remove_prefix(1);
    auto comma = v.find(',');
    auto item = v.substr(0, comma);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    parts[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
  }
  authorization_header a;
  auto& cred = parts["Credential"];
  std::vector<std::string> scope;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= cred.size(); ++i)
    if (i == cred.size() || cred[i] == '/') {
      scope.push_back(cred.substr(start, i - start));
      start = i + 1;
    }
  if (scope.size() != 5 || scope[4] != "aws4_request" || parts["Signature"].empty() || parts["SignedHeaders"].empty())
    return std::nullopt;
  a.access_key_id = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  a.signature = parts["Signature"];
  std::string_view sh = parts["SignedHeaders"];
  while (!sh.empty()) {
    auto semi = sh.find(';');
    a.signed_headers.emplace_back(sh.substr(0, semi));
    sh = semi == std::string_view::npos ? std::string_view{} : sh.substr(semi + 1);
  }
  return a;
}


}  // namespace grm::aws
