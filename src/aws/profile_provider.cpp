// A shared-config profile as the AWS CLI resolves it (botocore's order within one profile):
// role_arn with source_profile or credential_source → sts:AssumeRole signed with the source's
// credentials (chains of roles included); sso_session / sso_start_url → IAM Identity Center's
// GetRoleCredentials with the token `aws sso login` cached; otherwise the profile's static keys.
// A profile with web_identity_token_file or only credential_process is left to those providers.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>

#include "aws/credential_documents.hpp"
#include "aws/credential_process.hpp"
#include "aws/credentials.hpp"
#include "aws/sts.hpp"
#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"

namespace grm::aws {

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

[[noreturn]] void unusable(const std::string& m) { throw relay_error(error_kind::auth, m); }
[[noreturn]] void misconfigured(const std::string& m) { throw relay_error(error_kind::config, m); }

std::string quoted(const std::string& profile) { return "profile '" + profile + "'"; }

// Replaces `path` whole (a temporary file renamed over it), readable by its owner only: the SSO
// cache holds a refresh token and a client secret. A failure is reported, not fatal: the token
// in memory is still good for this process.
void write_private_file(const std::string& path, const std::string& content, const log_fn& log) {
  auto tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return;
  auto err = std::error_code(errno, std::system_category()).message();
  ::unlink(tmp.c_str());
  if (log) log(severity::warn, "the renewed IAM Identity Center token could not be written back to " + path + ": " + err);
}

// A setting of the profile; the credentials file wins over the config file, as in the SDKs.
const std::string* setting(const shared_files& f, const std::string& profile, const std::string& key) {
  for (auto* sections : {&f.credential_profiles, &f.config_profiles})
    if (auto it = sections->find(profile); it != sections->end())
      if (auto* v = it->second.get(key)) return v;
  return nullptr;
}

bool exists(const shared_files& f, const std::string& profile) {
  return f.credential_profiles.contains(profile) || f.config_profiles.contains(profile);
}

struct sso_settings {
  std::string session, start_url, region, account_id, role_name;
  std::string login_hint(const std::string& profile) const { return "run `aws sso login --profile " + profile + "`"; }
  std::string describe() const { return session.empty() ? "start URL " + start_url : "sso-session '" + session + "'"; }
};

std::optional<sso_settings> sso_of(const shared_files& f, const std::string& profile) {
  sso_settings s;
  auto need = [&](const ini_section& sec, const char* key, const std::string& where) {
    auto* v = sec.get(key);
    if (!v) misconfigured(where + " in " + f.config_path + " has no " + key);
    return *v;
  };
  if (auto* session = setting(f, profile, "sso_session")) {
    auto it = f.sso_sessions.find(*session);
    if (it == f.sso_sessions.end())
      misconfigured(quoted(profile) + " names sso_session '" + *session + "' but " + f.config_path +
                    " has no [sso-session " + *session + "] section");
    s.session = *session;
    s.start_url = need(it->second, "sso_start_url", "[sso-session " + *session + "]");
    s.region = need(it->second, "sso_region", "[sso-session " + *session + "]");
  } else if (auto* url = setting(f, profile, "sso_start_url")) {
    s.start_url = *url;
    auto* region = setting(f, profile, "sso_region");
    if (!region) misconfigured(quoted(profile) + " in " + f.config_path + " has sso_start_url but no sso_region");
    s.region = *region;
  } else {
    return std::nullopt;
  }
  auto* account = setting(f, profile, "sso_account_id");
  auto* role = setting(f, profile, "sso_role_name");
  if (!account || !role)
    misconfigured(quoted(profile) + " in " + f.config_path + " uses IAM Identity Center but has no " +
                  (account ? "sso_role_name" : "sso_account_id"));
  s.account_id = *account;
  s.role_name = *role;
  return s;
}

class shared_profile final : public credential_provider {
 public:
  explicit shared_profile(chain_context ctx) : ctx_(std::move(ctx)) {}

  std::string describe() const override {
    return quoted(ctx_.profile) + " in " + ctx_.files.credentials_path + " and " + ctx_.files.config_path;
  }

  asio::awaitable<std::optional<credentials>> fetch() override {
    std::vector<std::string> top;
    auto c = co_await resolve(ctx_.profile, std::move(top));
    co_return c;
  }

 private:
  // `path` holds the profiles that led here through source_profile (empty at the top).
  asio::awaitable<std::optional<credentials>> resolve(const std::string& name, std::vector<std::string> path) {
    if (!exists(ctx_.files, name)) {
      if (path.empty()) co_return std::nullopt;
      misconfigured(quoted(path.back()) + " names source_profile '" + name + "', which is in neither " +
                    ctx_.files.config_path + " nor " + ctx_.files.credentials_path);
    }
    if (std::find(path.begin(), path.end(), name) != path.end()) {
      std::string cycle;
      for (auto& p : path) cycle += p + " → ";
      misconfigured("source_profile loop: " + cycle + name);
    }
    path.push_back(name);
    auto* role = setting(ctx_.files, name, "role_arn");
    if (role && !setting(ctx_.files, name, "web_identity_token_file")) co_return co_await assume(name, *role, path);
    if (auto sso = sso_of(ctx_.files, name)) co_return co_await sso_credentials(name, *sso);
    if (auto keys = profile_credentials(ctx_.files, name)) co_return keys;
    if (path.size() == 1) co_return std::nullopt;  // the chain's other providers may have it
    if (auto* command = setting(ctx_.files, name, "credential_process")) {
      auto out = co_await run_credential_process(*command, seconds{60});
      co_return parse_process_output(out, "credential_process of " + quoted(name));
    }
    misconfigured(quoted(path[path.size() - 2]) + " names source_profile '" + name +
                  "', which has no credentials (keys, role_arn, sso_session or credential_process)");
  }

  asio::awaitable<credentials> source_of(const std::string& name, const std::vector<std::string>& path) {
    auto* source = setting(ctx_.files, name, "source_profile");
    auto* named = setting(ctx_.files, name, "credential_source");
    if (source && named) misconfigured(quoted(name) + " has both source_profile and credential_source: keep one");
    if (!source && !named)
      misconfigured(quoted(name) + " has role_arn but neither source_profile nor credential_source to assume it with");
    if (source && *source == name) {  // a role profile that also holds the keys to assume it (the CLI allows this)
      auto keys = profile_credentials(ctx_.files, name);
      if (!keys) misconfigured(quoted(name) + " is its own source_profile but has no aws_access_key_id");
      co_return *keys;
    }
    if (source) {
      auto c = co_await resolve(*source, path);
      co_return *c;  // resolve never answers nullopt below the top
    }
    std::unique_ptr<credential_provider> provider;
    if (*named == "Environment") provider = environment_provider(ctx_.env);
    else if (*named == "EcsContainer") provider = container_provider(ctx_);
    else if (*named == "Ec2InstanceMetadata") provider = imds_provider(ctx_);
    else misconfigured(quoted(name) + ": credential_source = " + *named + " (use Environment, EcsContainer or Ec2InstanceMetadata)");
    auto c = co_await provider->fetch();
    if (!c) unusable(quoted(name) + ": credential_source = " + *named + " has no credentials");
    co_return *c;
  }

  asio::awaitable<credentials> assume(const std::string& name, const std::string& role, const std::vector<std::string>& path) {
    if (setting(ctx_.files, name, "mfa_serial"))
      misconfigured(quoted(name) + " needs an MFA code (mfa_serial) for " + role +
                    ", which a service cannot prompt for: use a role without MFA or credential_process");
    auto caller = co_await source_of(name, path);
    if (!ctx_.http) unusable(quoted(name) + ": assuming " + role + " needs an HTTP client");
    auto session = setting(ctx_.files, name, "role_session_name");
    auto session_name = session ? *session : "genesys-relay-" + std::to_string(duration_cast<milliseconds>(
                                                                  system_clock::now().time_since_epoch()).count());
    auto* external_id = setting(ctx_.files, name, "external_id");
    auto* duration = setting(ctx_.files, name, "duration_seconds");
    auto url = sts_url(ctx_.env, ctx_.files, name, ctx_.region);
    auto ep = net::parse_endpoint(url);
    net::http_request req;
    req.method = "POST";
    req.url = url;
    req.body = form_encode({{"Action", "AssumeRole"}, {"Version", "2011-06-15"}, {"RoleArn", role},
                            {"RoleSessionName", session_name}, {"ExternalId", external_id ? *external_id : ""},
                            {"DurationSeconds", duration ? *duration : ""}});
    signable_request sr{"POST", ep.target,
                        {{"Host", ep.host_header()}, {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                        req.body};
    signer_.sign(sr, caller, {.region = sts_signing_region(ctx_.region), .service = "sts"}, system_clock::now());
    req.headers = std::move(sr.headers);
    auto resp = co_await credential_call(*ctx_.http, std::move(req), "STS AssumeRole of " + role + " for " + quoted(name) + " at " + url);
    if (resp.status != 200)
      unusable("STS AssumeRole of " + role + " for " + quoted(name) + " (signed with " + caller.source + ", access key " +
               caller.access_key_id + ") at " + url + " failed: HTTP " + std::to_string(resp.status) + " " +
               sts_error_message(resp.body));
    co_return parse_sts_credentials(resp.body, "role " + role + " assumed for " + quoted(name));
  }

  std::string endpoint_of(const std::string& name, const char* env_suffix, const char* key, std::string fallback) const {
    auto base = resolve_endpoint(ctx_.env, ctx_.files, name, env_suffix, key).value_or(std::move(fallback));
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }

  // The access token `aws sso login` cached. An sso-session's token is renewed with its refresh
  // token within 15 minutes of its expiry, as the SDKs do, and written back for the CLI; a
  // legacy profile's cannot be, and an expired one means logging in again.
  asio::awaitable<std::string> sso_token(const std::string& name, const sso_settings& sso) {
    auto path = ctx_.env("HOME").value_or("") + "/.aws/sso/cache/" + sha1_hex(sso.session.empty() ? sso.start_url : sso.session) + ".json";
    auto text = read_file_if_present(path);
    if (!text)
      unusable("no IAM Identity Center token is cached for " + sso.describe() + " of " + quoted(name) + " (looked for " +
               path + "): " + sso.login_hint(name));
    auto cache = parse_sso_token_cache(*text);
    if (!cache)
      unusable("the IAM Identity Center token cache " + path + " has no accessToken and expiresAt: " + sso.login_hint(name));
    const auto& expires = cache->expires_at;
    auto expiry = parse_aws_time(expires);
    auto now = system_clock::now();
    bool valid = expiry && *expiry > now;
    if (!sso.session.empty() && cache->refreshable && (!expiry || *expiry - now < minutes{15})) {
      std::string why;
      try {
        co_return co_await refresh_sso_token(sso, path, *text);
      } catch (const relay_error& e) {
        why = e.what();
      }
      if (!valid) unusable("the IAM Identity Center token for " + sso.describe() + " expired at " + expires + " and " + why + ": " + sso.login_hint(name));
    }
    if (!valid)
      unusable("the IAM Identity Center token for " + sso.describe() + " expired at " + expires + ": " + sso.login_hint(name));
    co_return cache->access_token;
  }

  asio::awaitable<std::string> refresh_sso_token(const sso_settings& sso, const std::string& path, std::string cache) {
    if (!ctx_.http) unusable("renewing the IAM Identity Center token needs an HTTP client");
    auto base = endpoint_of(ctx_.profile, "SSO_OIDC", "sso_oidc", "https://oidc." + sso.region + ".amazonaws.com");
    net::http_request req{.method = "POST", .url = base + "/token", .headers = {{"Content-Type", "application/json"}},
                          .body = sso_refresh_request(cache), .timeout = milliseconds{10000}};
    auto resp = co_await credential_call(*ctx_.http, std::move(req), "renewing the IAM Identity Center token at " + base + "/token");
    auto renewed = resp.status == 200 ? apply_sso_renewal(cache, resp.body, system_clock::now()) : std::nullopt;
    if (!renewed)
      unusable("could not be renewed at " + base + "/token (HTTP " + std::to_string(resp.status) + sso_oidc_error(resp.body) + ")");
    write_private_file(path, renewed->cache_text, ctx_.log);
    co_return renewed->access_token;
  }

  asio::awaitable<credentials> sso_credentials(const std::string& name, const sso_settings& sso) {
    auto token = co_await sso_token(name, sso);
    if (!ctx_.http) unusable(quoted(name) + ": IAM Identity Center needs an HTTP client");
    auto base = endpoint_of(name, "SSO", "sso", "https://portal.sso." + sso.region + ".amazonaws.com");
    net::http_request req{.method = "GET",
                          .url = base + "/federation/credentials?role_name=" + uri_encode(sso.role_name, false) +
                                 "&account_id=" + uri_encode(sso.account_id, false),
                          .headers = {{"x-amz-sso_bearer_token", token}},
                          .body = {},
                          .timeout = milliseconds{10000}};
    auto resp = co_await credential_call(*ctx_.http, std::move(req), "IAM Identity Center GetRoleCredentials at " + base);
    if (resp.status != 200)
      unusable("IAM Identity Center at " + base + " refused role " + sso.role_name + " in account " + sso.account_id +
               " for " + quoted(name) + ": HTTP " + std::to_string(resp.status) + " " + sso_error_message(resp.body) +
               (resp.status == 401 ? "; " + sso.login_hint(name) : ""));
    co_return parse_sso_role_credentials(resp.body, "IAM Identity Center role " + sso.role_name + " in account " + sso.account_id);
  }

  chain_context ctx_;
  signer signer_;
};

}  // namespace

std::unique_ptr<credential_provider> profile_provider(const chain_context& ctx) { return std::make_unique<shared_profile>(ctx); }

}  // namespace grm::aws
