#include <CLI/CLI.hpp>
#include "commands.hpp"
#include "core/allocator.hpp"
#include "log_format.hpp"

int main(int argc, char** argv) {
  grm::tune_allocator();
  CLI::App app{"genesys-relay: Genesys Cloud conversation events, validated and routed"};
  app.set_version_flag("--version", std::string("genesys-relay ") + GRM_VERSION);
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  std::string log_format = "auto";
  app.add_option("--log-format", log_format, "auto (text on a terminal, else JSON lines), text or json")
      ->check(CLI::IsMember({"auto", "text", "json"}))
      ->capture_default_str();

  grm::app::monitor_args mon;
  auto* monitor = app.add_subcommand("monitor", "Print one line per conversation lifecycle event until SIGINT/SIGTERM");
  monitor->add_option("-c,--config", mon.config_path, "TOML config file (credentials come from GENESYSCLOUD_* variables)");
  monitor->add_flag("--json", mon.json, "JSON lines instead of human-readable lines");
  monitor->footer("Examples:\n  genesys-relay monitor -c /etc/genesys-relay/relay.toml\n"
                  "  GENESYSCLOUD_REGION=mypurecloud.ie genesys-relay monitor -c relay.toml --json | jq .\n"
                  "Exit: 0 after SIGINT/SIGTERM, 2 a refused configuration, 1 refused credentials or permissions.");

  grm::app::forward_args fwd;
  auto* forward = app.add_subcommand("forward", "Forward the sentiment of these conversations now (the seed's one-shot); one line each");
  forward->add_option("conversation_ids", fwd.conversation_ids, "conversation ids")->required();
  forward->add_option("-c,--config", fwd.config_path, "TOML config file ([genesys], [forwarder], [eventbridge], [crm], [alerts], [audit])");
  forward->add_option("--trigger", fwd.trigger, "idempotency trigger name: a conversation is forwarded once per trigger")->capture_default_str();
  forward->add_flag("--json", fwd.json, "print each outcome as its audit record (JSON)");
  forward->add_flag("--no-state", fwd.no_state, "forward again even if done before (the outbox stays durable)");
  forward->footer("Examples:\n  genesys-relay forward -c relay.toml 5a3f2c1e-0000-4000-8000-000000000001\n"
                  "  genesys-relay forward -c relay.toml --json --trigger recheck <id> <id>\n"
                  "Exit: 0 all final, 1 one failed or was dead-lettered, 2 configuration, 4 deliveries still in the outbox.");
  double wait_s = 30;
  forward->add_option("--wait", wait_s, "seconds to wait for the deliveries; what still retries stays in the outbox (exit 4)")
      ->capture_default_str()->check(CLI::Range(0.0, 86400.0));

  grm::app::config_args cfg;
  auto* config_cmd = app.add_subcommand("config", "Check a config file and print the service it builds, component by component (no secrets)");
  config_cmd->add_option("-c,--config", cfg.config_path, "TOML config file")->required();
  config_cmd->add_option("--for", cfg.purpose, "what it is built for: monitor, forward or replay")
      ->capture_default_str()->check(CLI::IsMember({"monitor", "forward", "replay"}));
  config_cmd->footer("Examples:\n  genesys-relay config -c relay.toml\n  genesys-relay config -c relay.toml --for forward");

  grm::app::validate_args val;
  auto* validate_cmd = app.add_subcommand("validate", "Report every problem of a config file at once (file:line and key); exit 2 if any");
  validate_cmd->add_option("-c,--config", val.config_path, "TOML config file")->required();
  validate_cmd->add_flag("--check-connectivity", val.check_connectivity,
                         "also fetch a Genesys token and make one harmless call to each sink; exit 3 if one fails");
  validate_cmd->footer("Examples:\n  genesys-relay validate -c /etc/genesys-relay/relay.toml\n"
                       "  genesys-relay validate -c relay.toml --check-connectivity");

  grm::app::top_args top;
  auto* top_cmd = app.add_subcommand("top", "A live view of a running relay, from its /metrics: events/s, forwards, sinks, outbox, latency");
  top_cmd->add_option("--url", top.url, "the relay's metrics address ([metrics] listen)")->capture_default_str();
  top_cmd->add_option("--token-file", top.token_file, "a file holding the relay's metrics.bearer_token");
  top_cmd->add_option("--interval", top.interval_s, "seconds between refreshes")->capture_default_str()->check(CLI::Range(0.2, 60.0));
  top_cmd->add_flag("--once", top.once, "print one frame (two scrapes an interval apart) and exit");
  top_cmd->footer("Examples:\n  genesys-relay top\n  genesys-relay top --url http://127.0.0.1:9464 --token-file /etc/genesys-relay/credentials/scrape\n"
                  "  genesys-relay top --once | grep eventbridge\nKeys: q quits (Ctrl-C too).");

  grm::app::generate_config_args gen;
  auto* generate_cmd = app.add_subcommand("generate-config", "Print a commented starting config that `validate` accepts");
  generate_cmd->add_option("--for", gen.purpose,
                           "simulator (runs as is against `sim --with-sinks`), real-org (secrets from the environment) or "
                           "systemd (secrets as the unit's credentials: /etc/genesys-relay/relay.toml)")
      ->capture_default_str()->check(CLI::IsMember({"simulator", "real-org", "systemd"}));
  generate_cmd->add_option("-o,--output", gen.output, "write it here instead of stdout");
  generate_cmd->footer("Examples:\n  genesys-relay generate-config > relay.toml\n"
                       "  genesys-relay generate-config --for real-org -o /etc/genesys-relay/relay.toml");

  grm::app::dlq_args dlq;
  double dlq_wait_s = 30;
  auto* dlq_cmd = app.add_subcommand("dlq", "Dead letters: what a sink refused or what still failed at outbox.max_age_h");
  dlq_cmd->require_subcommand(1);
  dlq_cmd->footer("Examples:\n  genesys-relay dlq list -c relay.toml\n  genesys-relay dlq show -c relay.toml 12\n"
                  "  genesys-relay dlq replay -c relay.toml --sink crm\n  genesys-relay dlq purge -c relay.toml --older-than-h 720 --all");
  for (auto [name, help] : {std::pair{"list", "one line per dead letter (not yet replayed)"},
                            std::pair{"show", "the whole dead letter, payload included, as JSON"},
                            std::pair{"replay", "send them again through the outbox to their sink, same forwardingId"},
                            std::pair{"purge", "delete them"}}) {
    auto* c = dlq_cmd->add_subcommand(name, help);
    c->add_option("ids", dlq.ids, "dead letter ids");
    c->add_option("-c,--config", dlq.config_path, "TOML config file (its state database and, for replay, its sinks)");
    c->add_option("--sink", dlq.sink, "only this sink's");
    c->add_option("--older-than-h", dlq.older_than_h, "only those dead for longer than this");
    c->add_flag("--all", dlq.all, "every one (purge)");
    c->add_flag("--json", dlq.json, "JSON lines (list)");
    c->add_flag("--include-replayed", dlq.include_replayed, "also those already replayed");
    c->add_option("--wait", dlq_wait_s, "seconds to wait for replays to be final (replay)")->capture_default_str();
    c->callback([&dlq, name = std::string(name)] { dlq.action = name; });
  }

  grm::app::sse_parse_args sse;
  auto* sse_parse = app.add_subcommand("sse-parse", "Parse raw SSE bytes from stdin; print one JSON object per dispatched event");
  sse_parse->add_option("--chunks", sse.chunks, "feed the parser chunks of these sizes, cycled")->delimiter(',');
  sse_parse->footer("Examples:\n  genesys-relay sse-parse < capture.sse\n  genesys-relay sse-parse --chunks 1,7,64 < capture.sse");

  grm::app::sim_args sim;
  auto* sim_cmd = app.add_subcommand("sim", "Run the simulated Genesys Cloud org on loopback");
  sim_cmd->add_option("--port", sim.port, "port for HTTPS and HTTP (0: any free port)")->capture_default_str();
  sim_cmd->add_option("--cert-out", sim.cert_out, "write the simulator's certificate (PEM) here for clients to trust");
  sim_cmd->add_option("--rate", sim.conversations_per_second, "new conversations per second")->capture_default_str();
  sim_cmd->add_option("--duration", sim.duration_s, "stop after this many seconds");
  sim_cmd->add_flag("--with-sinks", sim.with_sinks, "also run the AWS emulator and a CRM webhook receiver (for `forward`)");
  sim_cmd->add_option("--aws-port", sim.aws_port, "the AWS emulator's port with --with-sinks")->capture_default_str();
  sim_cmd->add_option("--crm-port", sim.crm_port, "the CRM webhook receiver's port with --with-sinks")->capture_default_str();
  sim_cmd->add_flag("--crm-stall", sim.crm_stall, "the CRM webhook receiver reads requests and never answers (a hung CRM)");
  sim_cmd->add_option("--conversations", sim.conversations, "stop starting conversations after this many (0: unlimited)");
  sim_cmd->add_option("--api-rate-limit", sim.api_rate_limit,
                      "per-token API limit in requests per minute, with inin-ratelimit-* headers and 429 + Retry-After past it (0: off)")
      ->capture_default_str();
  sim_cmd->add_flag("--forbid", sim.forbid, "every API call answers 403 missing.permissions (a client without its role)");
  sim_cmd->add_flag("--with-proxy", sim.with_proxy,
                    "also an HTTPS CONNECT proxy on loopback that wants Proxy-Authorization for relay:proxy-pass (407 otherwise)");
  sim_cmd->add_flag("--refuse-writes-after-end", sim.refuse_writes_after_end,
                    "a strict org: attribute PATCHes on an ended conversation answer 409 (the participant is terminated)");
  sim_cmd->add_option("--ledger", sim.ledger, "append one JSON line per conversation the simulator ends (conversationId, mediaType, endedAtMs)");
  sim_cmd->footer("Examples:\n  genesys-relay sim --with-sinks --cert-out sim-certs.pem\n"
                  "  genesys-relay sim --api-rate-limit 300 --refuse-writes-after-end --rate 20");

  grm::app::eventbridge_put_args put;
  auto* eventbridge = app.add_subcommand("eventbridge", "AWS EventBridge: check connectivity and credentials");
  eventbridge->require_subcommand(1);
  auto* put_cmd = eventbridge->add_subcommand("put", "Send one event with the AWS default credential chain; print its EventId");
  put_cmd->add_option("--source", put.source, "the event's Source")->required();
  put_cmd->add_option("--detail-type", put.detail_type, "the event's DetailType")->required();
  put_cmd->add_option("--detail", put.detail, "the event's Detail: a JSON object")->required();
  put_cmd->add_option("--bus", put.bus, "event bus name or ARN (default: the default bus)");
  put_cmd->add_option("--resource", put.resources, "a Resources ARN (repeatable)");
  put_cmd->add_option("--region", put.region, "AWS Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)");
  put_cmd->add_option("--endpoint", put.endpoint, "endpoint URL (default: AWS_ENDPOINT_URL_EVENTBRIDGE, ..., the Region's)");
  put_cmd->add_option("--profile", put.profile, "profile in ~/.aws (default: AWS_PROFILE or 'default')");
  put_cmd->add_option("--ca-file", put.ca_file, "extra trust anchors, PEM (default: AWS_CA_BUNDLE)");
  put_cmd->add_flag("--insecure", put.insecure, "skip TLS verification (loopback endpoints only)");
  put_cmd->add_flag("--1mb", put.one_mb, "allow requests up to 1 MiB (Regions with the 2026 limit)");
  put_cmd->footer("Examples:\n  genesys-relay eventbridge put --source genesys.relay --detail-type Ping --detail '{\"ok\":true}'\n"
                  "  AWS_PROFILE=prod genesys-relay eventbridge put --bus genesys-relay --source s --detail-type t --detail '{}'");

  grm::app::aws_sim_args aws_sim;
  auto* aws_cmd = app.add_subcommand("aws-sim", "Run the AWS emulator (EventBridge, STS AssumeRole and web identity, IAM Identity Center, IMDSv2, container) on loopback");
  aws_cmd->add_option("--port", aws_sim.port, "port for HTTPS and HTTP (0: any free port)")->capture_default_str();
  aws_cmd->add_option("--region", aws_sim.region, "the Region requests must be signed for")->capture_default_str();
  aws_cmd->add_option("--cert-out", aws_sim.cert_out, "write the emulator's certificate (PEM) here");
  aws_cmd->add_option("--events-file", aws_sim.events_file, "append accepted events here as JSON lines");
  aws_cmd->add_flag("--1mb", aws_sim.one_mb, "accept requests up to 1 MiB instead of 256 KB");
  aws_cmd->add_option("--duration", aws_sim.duration_s, "stop after this many seconds");
  aws_cmd->footer("Examples:\n  genesys-relay aws-sim --cert-out aws.pem --events-file events.jsonl");

  grm::app::webhook_sim_args hook;
  auto* hook_cmd = app.add_subcommand("webhook-sim", "Run a webhook receiver (a CRM) on loopback: 200 to every POST");
  hook_cmd->add_option("--port", hook.port, "port for HTTPS and HTTP (0: any free port)")->capture_default_str();
  hook_cmd->add_option("--cert-out", hook.cert_out, "write its certificate (PEM) here");
  hook_cmd->add_option("--log", hook.log, "append one JSON line per POST (path, idempotencyKey, signature, body)");
  hook_cmd->add_option("--duration", hook.duration_s, "stop after this many seconds");
  hook_cmd->footer("Examples:\n  genesys-relay webhook-sim --port 9445 --log crm.jsonl");

  grm::app::demo_args demo;
  auto* demo_cmd = app.add_subcommand("demo", "Simulator + monitor over both transports, with faults; ends with a summary");
  demo_cmd->add_option("--duration", demo.duration_s, "seconds to run")->capture_default_str()->check(CLI::Range(2.0, 3600.0));
  demo_cmd->add_flag("--json", demo.json, "print each event as a JSON line");
  demo_cmd->footer("Examples:\n  genesys-relay demo\n  genesys-relay demo --duration 60 --json");

  CLI11_PARSE(app, argc, argv);
  grm::app::configure_logging(log_format, log_level);
  if (*monitor) return grm::app::run_monitor(mon);
  fwd.wait = std::chrono::milliseconds{static_cast<std::int64_t>(wait_s * 1000)};
  if (*forward) return grm::app::run_forward(fwd);
  dlq.wait = std::chrono::milliseconds{static_cast<std::int64_t>(dlq_wait_s * 1000)};
  if (*dlq_cmd) return grm::app::run_dlq(dlq);
  if (*config_cmd) return grm::app::run_config(cfg);
  if (*validate_cmd) return grm::app::run_validate(val);
  if (*generate_cmd) return grm::app::run_generate_config(gen);
  if (*top_cmd) return grm::app::run_top(top);
  if (*sse_parse) return grm::app::run_sse_parse(sse);
  if (*sim_cmd) return grm::app::run_sim(sim);
  if (*put_cmd) return grm::app::run_eventbridge_put(put);
  if (*aws_cmd) return grm::app::run_aws_sim(aws_sim);
  if (*hook_cmd) return grm::app::run_webhook_sim(hook);
  return grm::app::run_demo(demo);
}
