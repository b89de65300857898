// `eventbridge put` (a connectivity check with the real credential chain) and `aws-sim` (the AWS
// emulator on its own).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <csignal>
#include <fstream>
#include <iostream>

#include "aws/credentials.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"
#include "sim/aws_emulator.hpp"
#include "core/ids.hpp"
#include "delivery/one_shot.hpp"
#include "sinks/eventbridge/sink.hpp"

namespace grm::app {

namespace asio = boost::asio;
namespace eb = sinks::eventbridge;

namespace {

int fail(int code, const std::string& message) {
  std::cerr << "genesys-relay eventbridge put: " << message << "\n";
  return code;
}

}  // namespace

int run_eventbridge_put(const eventbridge_put_args& a) {
  boost::system::error_code jec;
  auto detail = boost::json::parse(a.detail, jec);
  if (jec || !detail.is_object())
    return fail(2, "--detail must be a JSON object (EventBridge refuses anything else with MalformedDetail)");
  auto env = aws::process_environment();
  eb::eventbridge_settings settings;
  settings.region = a.region;
  settings.endpoint = a.endpoint;
  settings.source = a.source;
  settings.event_bus = a.bus;
  settings.detail_types = {{"event", a.detail_type}};
  settings.resources = a.resources;
  if (a.one_mb) settings.max_request_bytes = eb::limit_1mb;
  aws::chain_context ctx;
  try {
    ctx.env = env;
    ctx.files = aws::load_shared_files(env);
    ctx.profile = a.profile.empty() ? aws::profile_name(env) : a.profile;
    ctx.log = [](severity, std::string_view m) { std::cerr << "genesys-relay eventbridge put: " << m << "\n"; };
    eb::resolve_with_aws_config(settings, env, ctx.files, ctx.profile);
  } catch (const relay_error& e) {
    return fail(2, e.what());
  }
  net::http_client_options ho;
  ho.proxy = net::proxy_settings::from_env();
  ho.tls.ca_file = a.ca_file.empty() ? env("AWS_CA_BUNDLE").value_or("") : a.ca_file;
  ho.tls.ca_file_setting = a.ca_file.empty() ? "AWS_CA_BUNDLE" : "--ca-file";
  auto credentials_options = ho;  // STS, container, IMDS: verified even with --insecure
  if (a.insecure) {
    if (!net::is_loopback_url(settings.endpoint)) return fail(2, "--insecure is only accepted for a loopback endpoint (the local emulator)");
    ho.tls.verify_peer = false;
  }
  asio::io_context ioc(1);
  std::unique_ptr<net::http_client> http, credentials_http;
  try {
    http = std::make_unique<net::http_client>(ioc.get_executor(), ho);
    credentials_http = std::make_unique<net::http_client>(ioc.get_executor(), credentials_options);
  } catch (const relay_error& e) {
    return fail(2, e.what());
  }
  ctx.http = credentials_http.get();
  ctx.region = settings.region;
  aws::credentials_cache creds(aws::default_chain(ctx));
  eb::sink sink(*http, creds, settings);
  // The daemon's delivery path with an in-memory outbox and AWS's attempt budget.
  delivery::driver_options o;
  o.max_attempts = settings.max_attempts > 0 ? settings.max_attempts : 3;
  o.backoff_base = std::chrono::milliseconds{200};
  o.backoff_cap = std::chrono::milliseconds{20'000};
  o.breaker.failures_to_open = o.max_attempts + 1;  // one event: the budget decides, not the breaker
  delivery::message m{"eventbridge-put", uuid_v4(), "", "event", a.detail};
  auto f = asio::co_spawn(ioc, delivery::deliver_now(sink, {std::move(m)}, o), asio::use_future);
  while (f.wait_for(std::chrono::seconds{0}) != std::future_status::ready) ioc.run_one();
  auto out = f.get().front();
  if (out.state != delivery::delivery_state::delivered) return fail(1, out.detail);
  std::cout << out.detail << "\n";
  std::cerr << "delivered to " << settings.endpoint << " (region " << settings.region << ", " << out.attempts
            << (out.attempts == 1 ? " attempt)" : " attempts)") << "\n";
  return 0;
}

void print_aws_emulator(const sim::aws_emulator& aws, const std::string& cert_out) {
  std::cout << "AWS emulator listening on " << aws.https_url() << " (and " << aws.http_url() << ")\n"
            << "  EventBridge PutEvents: POST /        AWS_ENDPOINT_URL_EVENTBRIDGE=" << aws.https_url() << "\n"
            << "  STS:                   POST /        AWS_ENDPOINT_URL_STS=" << aws.https_url()
            << " (AssumeRole of " << aws.options().assumable_roles.front() << "; web identity)\n"
            << "  IAM Identity Center:   GET /federation/credentials  AWS_ENDPOINT_URL_SSO=" << aws.https_url()
            << " (token " << aws.options().sso_access_token << ", role " << aws.options().sso_role_name << ")\n"
            << "  IMDSv2:                /latest/...   AWS_EC2_METADATA_SERVICE_ENDPOINT=" << aws.http_url() << "\n"
            << "  container:             /container/credentials (Authorization: sim-container-token)\n"
            << "  keys:                  AWS_ACCESS_KEY_ID=AKIDEXAMPLE, secret: the AWS documentation's example key\n"
            << (cert_out.empty() ? "" : "  certificate written:   " + cert_out + " (AWS_CA_BUNDLE=" + cert_out + ")\n")
            << std::flush;
}

int run_aws_sim(const aws_sim_args& a) {
  sim::aws_emulator_options o;
  o.port = a.port;
  o.region = a.region;
  o.events_file = a.events_file;
  o.keep_events = false;
  if (a.one_mb) o.max_request_bytes = eb::limit_1mb;
  std::unique_ptr<sim::aws_emulator> aws;
  try {
    aws = std::make_unique<sim::aws_emulator>(o);
  } catch (const std::exception& e) {
    std::cerr << "genesys-relay aws-sim: cannot listen on 127.0.0.1:" << a.port << ": " << e.what() << "\n";
    return 1;
  }
  if (!a.cert_out.empty()) std::ofstream(a.cert_out) << aws->certificate_pem();
  print_aws_emulator(*aws, a.cert_out);
  serve_until_signal(a.duration_s);
  auto st = aws->stats();
  std::cout << "AWS emulator stopped: " << st.put_events_requests << " PutEvents requests, " << st.accepted
            << " events accepted, " << st.failed_entries << " entries failed, " << st.signature_failures
            << " signature failures\n";
  return 0;
}

}  // namespace grm::app
