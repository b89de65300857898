#pragma once
// Subcommand entry points. They parse nothing (CLI11 does that in main.cpp) and hold no logic of
// their own beyond wiring the library pieces together. Each returns the process exit code.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "pipeline/sentiment/forwarding_service.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "sources/monitor_service.hpp"
#include "sources/source_context.hpp"

namespace grm::metrics {
class registry;
}
namespace grm::sim {
class aws_emulator;
}

namespace grm::app {

// Shared output helpers.
void log_line(sources::severity s, std::string_view message);
void print_stream_error(const pipeline::stream_error& e);
std::string event_line(const lifecycle_event& e, bool json);

std::string report_line(const sentiment::forward_report& r, bool json);
// For the simulators: block until SIGINT/SIGTERM, or until `duration_s` seconds have passed.
void serve_until_signal(std::optional<double> duration_s);
// The monitor's counters under the names in docs/metrics.md, read at scrape time.
void add_monitor_metrics(metrics::registry& m, const sources::monitor_service& service);

struct monitor_args {
  std::optional<std::string> config_path;
  bool json = false;
};
int run_monitor(const monitor_args& args);

struct forward_args {
  std::optional<std::string> config_path;
  std::vector<std::string> conversation_ids;
  std::string trigger = "manual";
  bool json = false;
  bool no_state = false;
  std::chrono::milliseconds wait{30'000};  // for the deliveries; what still retries stays in the outbox
};
int run_forward(const forward_args& args);

// `genesys-relay config -c FILE`: the plan's description (exit 2 with the message when invalid).
struct config_args {
  std::optional<std::string> config_path;
  std::string purpose = "monitor";
};
int run_config(const config_args& args);

struct validate_args {
  std::string config_path;
  bool check_connectivity = false;
};
// Every problem of the file at once (exit 2 if any); with check_connectivity, also a Genesys
// token and one harmless call to each sink (exit 3 if one fails).
int run_validate(const validate_args& args);

struct top_args {
  std::string url = "http://127.0.0.1:9464";
  std::string token_file;  // metrics.bearer_token's value, when the relay has one
  double interval_s = 1;
  bool once = false;
};
int run_top(const top_args& args);

struct generate_config_args {
  std::string purpose = "simulator";  // or "real-org"
  std::string output;                 // empty: stdout
};
int run_generate_config(const generate_config_args& args);

struct dlq_args {
  std::string action;  // list, show, replay, purge
  std::optional<std::string> config_path;
  std::vector<std::int64_t> ids;
  std::string sink;
  bool all = false, json = false, include_replayed = false;
  double older_than_h = 0;
  std::chrono::milliseconds wait{30'000};
};
int run_dlq(const dlq_args& args);

struct sse_parse_args {
  std::vector<std::size_t> chunks;
};
int run_sse_parse(const sse_parse_args& args);

struct sim_args {
  std::uint16_t port = 9443;
  std::string cert_out;
  double conversations_per_second = 5;
  std::optional<double> duration_s;
  bool with_sinks = false;      // also the AWS emulator and a CRM webhook receiver
  std::uint16_t aws_port = 9444;
  std::uint16_t crm_port = 9445;
  bool crm_stall = false;       // the CRM receiver never answers (a hung CRM)
  bool forbid = false;          // every API call answers 403 missing.permissions
  bool with_proxy = false;      // also a CONNECT proxy that wants Proxy-Authorization for relay:proxy-pass
  std::string ledger;           // one JSON line per conversation the simulator ends
  std::size_t conversations = 0;  // stop starting new ones after this many (0: unlimited)
  std::uint32_t api_rate_limit = 0;  // requests per minute per token (0: off)
  bool refuse_writes_after_end = false;
};
int run_sim(const sim_args& args);

struct webhook_sim_args {
  std::uint16_t port = 9445;
  std::string cert_out, log;
  std::optional<double> duration_s;
};
int run_webhook_sim(const webhook_sim_args& args);

struct eventbridge_put_args {
  std::string source, detail_type, detail, bus, region, endpoint, profile, ca_file;
  std::vector<std::string> resources;
  bool insecure = false;
  bool one_mb = false;
};
int run_eventbridge_put(const eventbridge_put_args& args);

struct aws_sim_args {
  std::uint16_t port = 9444;
  std::string region = "us-east-1";
  std::string cert_out, events_file;
  bool one_mb = false;
  std::optional<double> duration_s;
};
int run_aws_sim(const aws_sim_args& args);
void print_aws_emulator(const sim::aws_emulator& aws, const std::string& cert_out);


struct demo_args {
  double duration_s = 20;
  bool json = false;
};
int run_demo(const demo_args& args);

}  // namespace grm::app
