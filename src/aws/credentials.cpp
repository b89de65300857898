#include "aws/credentials.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>


#include "aws/credential_documents.hpp"
#include "aws/credential_process.hpp"
#include "aws/sts.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"

namespace grm::aws {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;

namespace {

[[noreturn]] void unusable(const std::string& message) { throw relay_error(error_kind::auth, message); }


std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// --- static providers --------------------------------------------------------------------

class environment final : public credential_provider {
 public:
  explicit environment(env_lookup env) : env_(std::move(env)) {}
  std::string describe() const override { return "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"; }
  asio::awaitable<std::optional<credentials>> fetch() override {
    auto c = environment_credentials(env_);
    if (c) {
      if (auto exp = env_("AWS_CREDENTIAL_EXPIRATION")) {
        c->expiration = parse_aws_time(*exp);
        if (!c->expiration)
          unusable("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time: '" + *exp + "'");
      }
    }
    co_return c;
  }

 private:
  env_lookup env_;
};

class process final : public credential_provider {
 public:
  process(shared_files files, std::string name) : files_(std::move(files)), name_(std::move(name)) {}
  std::string describe() const override {
    return "credential_process of profile '" + name_ + "' in " + files_.config_path;
  }
  asio::awaitable<std::optional<credentials>> fetch() override {
    auto it = files_.config_profiles.find(name_);
    const std::string* command = it == files_.config_profiles.end() ? nullptr : it->second.get("credential_process");
    if (!command) co_return std::nullopt;
    auto out = co_await run_credential_process(*command, seconds{60});
    co_return parse_process_output(out, "credential_process of profile '" + name_ + "'");
  }

 private:
  shared_files files_;
  std::string name_;
};

class fixed final : public credential_provider {
 public:
  explicit fixed(credentials c) : c_(std::move(c)) {}
  std::string describe() const override { return "explicit keys (" + c_.source + ")"; }
  asio::awaitable<std::optional<credentials>> fetch() override { co_return c_; }

 private:
  credentials c_;
};

// --- STS web identity -------------------------------------------------------------------

class web_identity final : public credential_provider {
 public:
  explicit web_identity(const chain_context& ctx)
      : env_(ctx.env), files_(ctx.files), profile_(ctx.profile), region_(ctx.region), http_(ctx.http) {}

  std::string describe() const override {
    return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or web_identity_token_file + role_arn in profile '" +
           profile_ + "')";
  }

  asio::awaitable<std::optional<credentials>> fetch() override {
    auto token_file = env_("AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = env_("AWS_ROLE_ARN");
    auto session = env_("AWS_ROLE_SESSION_NAME");
    if (!token_file && !role_arn) {
      if (auto it = files_.config_profiles.find(profile_); it != files_.config_profiles.end()) {
        if (auto* f = it->second.get("web_identity_token_file")) token_file = *f;
        if (auto* r = it->second.get("role_arn"); r && token_file) role_arn = *r;
        if (auto* s = it->second.get("role_session_name"); s && token_file) session = *s;
      }
    }
    if (!token_file && !role_arn) co_return std::nullopt;
    if (!token_file) unusable("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not: web identity needs both");
    if (!role_arn) unusable("web identity token file " + *token_file + " is set but no role ARN (AWS_ROLE_ARN / role_arn)");
    if (!http_) co_return std::nullopt;
    auto token = read_file_if_present(*token_file);  // re-read on every refresh: the file rotates
    if (!token) unusable("cannot read the web identity token file " + *token_file);
    auto name = session.value_or("genesys-relay-" + std::to_string(duration_cast<milliseconds>(
                                                      system_clock::now().time_since_epoch()).count()));
    net::http_request req;
    req.method = "POST";
    req.url = sts_url();
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = form_encode({{"Action", "AssumeRoleWithWebIdentity"}, {"Version", "2011-06-15"},
                            {"RoleArn", *role_arn}, {"RoleSessionName", name},
                            {"WebIdentityToken", trim_newlines(*token)}});
    auto resp = co_await credential_call(*http_, std::move(req), "STS AssumeRoleWithWebIdentity for " + *role_arn + " at " + sts_url());
    if (resp.status != 200)
      unusable("STS AssumeRoleWithWebIdentity for " + *role_arn + " at " + sts_url() + " failed: HTTP " +
               std::to_string(resp.status) + " " + sts_error_message(resp.body));
    co_return parse_sts_credentials(resp.body, "web identity role " + *role_arn);
  }

 private:
  std::string sts_url() const { return aws::sts_url(env_, files_, profile_, region_); }

  env_lookup env_;
  shared_files files_;
  std::string profile_, region_;
  net::http_client* http_;
};

// --- container (ECS task role, EKS Pod Identity) -------------------------------------------

bool allowed_full_uri(const net::endpoint& ep) {
  if (ep.tls) return true;
  for (auto h : {"127.0.0.1", "localhost", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"})
    if (ep.host == h) return true;
  return ep.host.starts_with("127.");
}

net::retry_policy metadata_retry(const provider_endpoints& e) {
  return net::retry_policy{.max_attempts = e.metadata_attempts, .base = milliseconds{100}, .cap = milliseconds{1000}};
}

class container final : public credential_provider {
 public:
  explicit container(const chain_context& ctx) : env_(ctx.env), http_(ctx.http), endpoints_(ctx.endpoints) {}

  std::string describe() const override {
    return "container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI)";
  }

  asio::awaitable<std::optional<credentials>> fetch() override {
    std::string url;
    if (auto rel = env_("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = endpoints_.container_host + *rel;
    } else if (auto full = env_("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      auto ep = net::parse_endpoint(*full);
      if (!allowed_full_uri(ep))
        unusable("AWS_CONTAINER_CREDENTIALS_FULL_URI host '" + ep.host +
                 "' is not allowed: use https, a loopback address, 169.254.170.2 or 169.254.170.23");
      url = *full;
    } else {
      co_return std::nullopt;
    }
    if (!http_) co_return std::nullopt;
    net::http_request req{.method = "GET", .url = url, .headers = {}, .body = {}, .timeout = endpoints_.metadata_timeout * 2};
    if (auto token = authorization_token()) req.headers.push_back({"Authorization", *token});
    auto resp = co_await net::send_with_retry(*http_, std::move(req), metadata_retry(endpoints_));
    if (resp.status != 200)
      unusable("container credentials endpoint " + url + " answered HTTP " + std::to_string(resp.status));
    co_return parse_metadata_credentials(resp.body, "container credentials endpoint " + url);
  }

 private:
  std::optional<std::string> authorization_token() const {
    std::optional<std::string> token;
    if (auto file = env_("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      token = read_file_if_present(*file);  // re-read each time: EKS rotates it
      if (!token) unusable("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
      *token = trim_newlines(*token);
    } else {
      token = env_("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token && token->find_first_of("\r\n") != std::string::npos)
      unusable("the container authorization token contains a line break");
    return token;
  }

  env_lookup env_;
  net::http_client* http_;
  provider_endpoints endpoints_;
};

// --- EC2 instance metadata (IMDSv2, v1 fallback unless disabled) ---------------------------

class imds final : public credential_provider {
 public:
  explicit imds(const chain_context& ctx) : env_(ctx.env), http_(ctx.http), endpoints_(ctx.endpoints) {}

  std::string describe() const override { return "EC2 instance metadata (" + base() + ")" + (why_.empty() ? "" : ": " + why_); }

  asio::awaitable<std::optional<credentials>> fetch() override {
    if (auto d = env_("AWS_EC2_METADATA_DISABLED"); d && (*d == "true" || *d == "TRUE" || *d == "1")) {
      why_ = "disabled by AWS_EC2_METADATA_DISABLED";
      co_return std::nullopt;
    }
    if (!http_) co_return std::nullopt;
    try {
      auto token = co_await session_token();
      std::vector<net::header> h;
      if (token) h.push_back({"X-aws-ec2-metadata-token", *token});
      auto list = co_await get("/latest/meta-data/iam/security-credentials/", h);
      if (list.status == 404) {
        why_ = "no instance profile attached";
        co_return std::nullopt;
      }
      if (list.status != 200) unusable("EC2 instance metadata answered HTTP " + std::to_string(list.status) + " for the role name");
      auto role = trim_newlines(list.body.substr(0, list.body.find('\n')));
      auto creds = co_await get("/latest/meta-data/iam/security-credentials/" + role, h);
      if (creds.status != 200)
        unusable("EC2 instance metadata answered HTTP " + std::to_string(creds.status) + " for role " + role);
      co_return parse_metadata_credentials(creds.body, "EC2 instance metadata role " + role);
    } catch (const relay_error& e) {
      if (e.kind() == error_kind::auth) throw;
      why_ = e.what();  // not on EC2 (no route, timeout): the chain moves on and reports this
      co_return std::nullopt;
    }
  }

 private:
  std::string base() const {
    if (auto e = env_("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      auto s = *e;
      while (!s.empty() && s.back() == '/') s.pop_back();
      return s;
    }
    if (auto m = env_("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"); m && (*m == "IPv6" || *m == "ipv6"))
      return "http://[fd00:ec2::254]";
    return "http://169.254.169.254";
  }

  asio::awaitable<net::http_response> get(const std::string& path, const std::vector<net::header>& h) {
    net::http_request req{.method = "GET", .url = base() + path, .headers = h, .body = {}, .timeout = endpoints_.metadata_timeout};
    co_return co_await net::send_with_retry(*http_, std::move(req), metadata_retry(endpoints_));
  }

  asio::awaitable<std::optional<std::string>> session_token() {
    net::http_request req{.method = "PUT", .url = base() + "/latest/api/token",
                          .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, .body = {},
                          .timeout = endpoints_.metadata_timeout};
    auto resp = co_await net::send_with_retry(*http_, std::move(req), metadata_retry(endpoints_));
    if (resp.status == 200) co_return resp.body;
    bool v1_disabled = false;
    if (auto d = env_("AWS_EC2_METADATA_V1_DISABLED")) v1_disabled = *d == "true" || *d == "1";
    if ((resp.status == 403 || resp.status == 404 || resp.status == 405) && !v1_disabled)
      co_return std::nullopt;  // IMDSv1 only (old instances or proxies): go on without a token
    unusable("EC2 instance metadata token request answered HTTP " + std::to_string(resp.status) +
             (v1_disabled ? " and AWS_EC2_METADATA_V1_DISABLED forbids the v1 fallback" : ""));
  }

  env_lookup env_;
  net::http_client* http_;
  provider_endpoints endpoints_;
  std::string why_;
};

// --- the chain ------------------------------------------------------------------------------

class chain final : public credential_provider {
 public:
  explicit chain(std::vector<std::unique_ptr<credential_provider>> providers) : providers_(std::move(providers)) {}

  std::string describe() const override {
    std::string out;
    for (auto& p : providers_) out += (out.empty() ? "" : "; ") + p->describe();
    return out;
  }

  asio::awaitable<std::optional<credentials>> fetch() override {
    if (chosen_) {
      auto c = co_await chosen_->fetch();
      if (!c) unusable("AWS credentials from " + chosen_->describe() + " are no longer available");
      co_return c;
    }
    for (auto& p : providers_) {
      auto c = co_await p->fetch();
      if (c) {
        chosen_ = p.get();
        co_return c;
      }
    }
    unusable("no AWS credentials found; looked in: " + describe());
  }

 private:
  std::vector<std::unique_ptr<credential_provider>> providers_;
  credential_provider* chosen_ = nullptr;
};

}  // namespace


std::unique_ptr<credential_provider> static_provider(credentials keys) { return std::make_unique<fixed>(std::move(keys)); }
std::unique_ptr<credential_provider> environment_provider(env_lookup env) {
  return std::make_unique<environment>(std::move(env));
}
std::unique_ptr<credential_provider> process_provider(shared_files files, std::string name) {
  return std::make_unique<process>(std::move(files), std::move(name));
}
std::unique_ptr<credential_provider> web_identity_provider(const chain_context& ctx) {
  return std::make_unique<web_identity>(ctx);
}
std::unique_ptr<credential_provider> container_provider(const chain_context& ctx) {
  return std::make_unique<container>(ctx);
}
std::unique_ptr<credential_provider> imds_provider(const chain_context& ctx) { return std::make_unique<imds>(ctx); }

std::unique_ptr<credential_provider> chain_of(std::vector<std::unique_ptr<credential_provider>> providers) {
  return std::make_unique<chain>(std::move(providers));
}

std::unique_ptr<credential_provider> default_chain(const chain_context& ctx) {
  std::vector<std::unique_ptr<credential_provider>> p;
  p.push_back(environment_provider(ctx.env));
  p.push_back(profile_provider(ctx));
  p.push_back(web_identity_provider(ctx));
  p.push_back(process_provider(ctx.files, ctx.profile));
  p.push_back(container_provider(ctx));
  p.push_back(imds_provider(ctx));
  return chain_of(std::move(p));
}

// --- the refreshing cache -------------------------------------------------------------------

struct credentials_cache::impl : std::enable_shared_from_this<impl> {
  std::unique_ptr<credential_provider> provider;
  refresh_options opt;
  clock_fn clock;
  std::optional<credentials> current;
  bool refreshing = false;
  std::exception_ptr last_error;
  system_clock::time_point retry_not_before{};
  std::unique_ptr<asio::steady_timer> refreshed;  // waiters park here; cancelled when a refresh ends
  cache_stats stats;

  // Keys that arrive already expired are an error naming where they came from and when they
  // expired; signing with them would only earn ExpiredTokenException from AWS.
  relay_error expired(const credentials& c) const {
    return relay_error(error_kind::auth,
                       "the AWS credentials from " + c.source + " (access key " + c.access_key_id + ") expired at " +
                           format_rfc3339(time_point_cast<milliseconds>(*c.expiration)) +
                           "; renew them at their source (they are asked for again at most every " +
                           std::to_string(duration_cast<seconds>(opt.retry_after_failure).count()) + " s)");
  }

  bool usable(system_clock::time_point now, milliseconds margin) const {
    return current && (!current->expiration || now + margin < *current->expiration);
  }

  asio::awaitable<void> refresh() {
    refreshing = true;
    std::exception_ptr failure;
    try {
      auto c = co_await provider->fetch();
      if (!c) throw relay_error(error_kind::auth, "no AWS credentials found; looked in: " + provider->describe());
      if (c->expiration && *c->expiration <= clock()) throw expired(*c);
      current = std::move(*c);
      ++stats.fetches;
      last_error = nullptr;
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      ++stats.failures;
      last_error = failure;
      retry_not_before = clock() + opt.retry_after_failure;
    }
    refreshing = false;
    if (refreshed) refreshed->cancel();
  }

  void refresh_in_background(asio::any_io_executor ex) {
    ++stats.background_refreshes;
    asio::co_spawn(ex, [self = shared_from_this()]() { return self->refresh(); }, asio::detached);
  }
};

credentials_cache::credentials_cache(std::unique_ptr<credential_provider> provider, refresh_options options,
                                     clock_fn clock)
    : impl_(std::make_shared<impl>()) {
  impl_->provider = std::move(provider);
  impl_->opt = options;
  impl_->clock = clock ? std::move(clock) : clock_fn{[] { return system_clock::now(); }};
}

credentials_cache::~credentials_cache() = default;

cache_stats credentials_cache::stats() const { return impl_->stats; }

asio::awaitable<credentials> credentials_cache::get() {
  auto self = impl_;
  auto ex = co_await asio::this_coro::executor;
  if (!self->refreshed) {
    self->refreshed = std::make_unique<asio::steady_timer>(ex);
    self->refreshed->expires_at(steady_clock::time_point::max());
  }
  bool tried = false;
  for (;;) {
    auto now = self->clock();
    if (self->usable(now, self->opt.mandatory)) {
      if (!self->refreshing && !self->usable(now, self->opt.advisory) && now >= self->retry_not_before)
        self->refresh_in_background(ex);
      co_return *self->current;
    }
    if (self->refreshing) {
      co_await self->refreshed->async_wait(asio::as_tuple(asio::use_awaitable));  // woken by cancel
      continue;
    }
    if (tried || (self->last_error && now < self->retry_not_before)) {
      // Fresh credentials could not be had: still-valid ones are better than stalling sends.
      if (self->usable(now, milliseconds{0})) co_return *self->current;
      if (self->last_error) std::rethrow_exception(self->last_error);
      throw relay_error(error_kind::auth, "no usable AWS credentials from " + self->provider->describe());
    }
    tried = true;
    co_await self->refresh();
  }
}

}  // namespace grm::aws
