// `genesys-relay generate-config [--for simulator|real-org|systemd]`: a commented starting config
// in the named form that `validate` accepts (the simulator's with no environment at all, the real
// org's with its credentials in the environment, the systemd unit's with them as credentials).
// The examples and the package's /etc/genesys-relay/relay.toml are what this prints (a test checks).
#include <algorithm>
#include <fstream>
#include <iostream>

#include "commands.hpp"

namespace grm::app {

namespace {

// Shared by both: the outbox, state, audit log, metrics and shutdown.
constexpr std::string_view kService = R"(
# --- Durable state -----------------------------------------------------------------------------
# One SQLite file (WAL): the outbox (every accepted event until each sink has it or dead-letters
# it), dead letters, idempotency keys and stream positions. Keep it on a persistent disk; the
# systemd unit puts it under StateDirectory (/var/lib/genesys-relay).
[state]
path = "@STATE_DIR@genesys-relay-state.db"
retention_h = 168                  # idempotency keys kept this long (1 .. 87840)

[outbox]
max_pending = 1000000              # accepted but undelivered entries before intake is refused
max_age_h = 96                     # still failing after this long: dead-lettered with its last error
retry_max_delay_s = 300            # backoff cap between attempts (1 .. 86400)
breaker_failures = 5               # consecutive failures that open a sink's circuit breaker
breaker_open_s = 5                 # first open period, doubling up to breaker_max_open_s
breaker_max_open_s = 300

# --- Compliance audit log (one JSON line per forwarding decision, rotated by size) -------------
[audit]
path = "@STATE_DIR@genesys-relay-audit.jsonl"
max_bytes = 67108864
keep = 5

# --- Operations ---------------------------------------------------------------------------------
[metrics]
listen = "127.0.0.1:9464"          # /metrics (Prometheus), /healthz, /readyz; loopback by default

[service]
shutdown_timeout_s = 10            # after SIGTERM, how long work in flight may take (0 .. 3600)
)";

constexpr std::string_view kSimulator = R"(# genesys-relay against its own simulator: the simulated Genesys Cloud org (9443), the AWS
# emulator (9444) and a CRM webhook receiver (9445), all verified against the certificate the
# simulator writes. Start them, then the relay:
#   genesys-relay sim --with-sinks --cert-out sim-certs.pem
#   GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
#   AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY genesys-relay monitor -c relay.toml
# Check it first: genesys-relay validate -c relay.toml [--check-connectivity]
# Every key, its default and its range: docs/configuration.md.

# --- Genesys Cloud -------------------------------------------------------------------------------
[genesys]
api_url = "https://127.0.0.1:9443"   # a real org: region = "mypurecloud.com" (or usw2.pure.cloud, ...)
login_url = "https://127.0.0.1:9443"
client_id = "sim-client"
client_secret = "sim-secret"         # the simulator's; never a real secret in a file: "${VAR}" or "file:/path"
ca_file = "sim-certs.pem"            # the simulator's certificate; a real org needs none

# --- Sources: where events come from ------------------------------------------------------------
# The Notifications API over WebSocket, subscribed per queue (v2.routing.queues.{id}.conversations).
[sources.conversations]
type = "notifications"
queues = ["6a0f0e9c-0d3e-4c7b-9a57-0a4a6f3a1b22", "0c7d5a12-77e1-4f0a-8a0e-3b8f1f2d9e44"]

# --- Transforms ---------------------------------------------------------------------------------
# The sentiment of each chat as it ends: validated, 4-decimal payload checked by the JSON Schema.
[transforms.sentiment]
type = "sentiment"
inputs = ["conversations"]           # [] : only `genesys-relay forward <id>` runs it
source = "speech-analytics"          # "analytics" is the tutorial's query (the simulator only)
min_confidence = 0.75                # below it: recorded as below-threshold, not forwarded
escalation_threshold = 0.8           # negative at or above it: an alert on sentiment.alerts
media_types = ["chat", "message"]

# --- Sinks: where events go (each one named; `inputs` wires it) ---------------------------------
[sinks.eventbridge]
type = "eventbridge"
inputs = ["sentiment", "sentiment.alerts"]
region = "us-east-1"
endpoint = "https://127.0.0.1:9444"  # a real account: leave it out (events.<region>.amazonaws.com)
ca_file = "sim-certs.pem"
event_bus = "default"
detail_type = "ChatSentimentAnalysis"

[sinks.crm]
type = "webhook"
inputs = ["sentiment"]
url = "https://127.0.0.1:9445/crm/sentiment"
ca_file = "sim-certs.pem"
# token = "${CRM_WEBHOOK_TOKEN}"     # a bearer token, by reference
# secret = "file:/run/credentials/genesys-relay/crm-hmac"   # an HMAC signing secret

[sinks.marker]
type = "genesys_attributes"          # writes the outcome onto the conversation's customer participant
inputs = ["sentiment"]
write = ["participant"]
)";

constexpr std::string_view kRealOrgHead = R"(# genesys-relay against a real Genesys Cloud org and a real AWS account. Secrets are never in this
# file: "${NAME}" reads the environment, "file:/path" a file, "credential:NAME" a systemd
# credential. Before starting:
#   genesys-relay validate -c relay.toml --check-connectivity)";

constexpr std::string_view kSystemdHead = R"(# /etc/genesys-relay/relay.toml, read by genesys-relay.service. Secrets are systemd credentials,
# never in this file: put them in /etc/genesys-relay/credentials/ (root only, mode 0600), where the
# unit's LoadCredential= takes them; "credential:NAME" reads them. Set the client id and a queue
# id below, then check:
#   sudo CREDENTIALS_DIRECTORY=/etc/genesys-relay/credentials genesys-relay validate \
#     -c /etc/genesys-relay/relay.toml --check-connectivity
#   sudo systemctl enable --now genesys-relay)";

constexpr std::string_view kRealOrg = R"(@HEAD@
# Every key, its default and its range: docs/configuration.md; the real API: docs/real-api.md.

# --- Genesys Cloud -------------------------------------------------------------------------------
# An OAuth client with the Client Credentials grant and a role that may read conversations, queues,
# conversation details, speech and text analytics and transcripts (recording:recording:view), and
# edit participant attributes (the marker). A 403 names the permission the API found missing, and
# `validate --check-connectivity` shows whether the client gets a token at all.
[genesys]
region = "mypurecloud.com"           # the org's region: usw2.pure.cloud, mypurecloud.ie, mypurecloud.de, ...
client_id = "@CLIENT_ID@"
client_secret = "@CLIENT_SECRET@"

[retry]
max_attempts = 4                     # per API call (1 .. 100); 429s wait for Retry-After
base_ms = 500
cap_ms = 30000

# --- Sources: where events come from ------------------------------------------------------------
# Queue ids: GET /api/v2/routing/queues (Admin > Contact Center > Queues shows them too).
[sources.conversations]
type = "notifications"
queues = ["REPLACE-WITH-A-QUEUE-ID"]

# --- Transforms ---------------------------------------------------------------------------------
[transforms.sentiment]
type = "sentiment"
inputs = ["conversations"]           # [] : only `genesys-relay forward <id>` runs it
source = "speech-analytics"          # the real API's sentiment (GET /api/v2/speechandtextanalytics/...)
min_confidence = 0.75
escalation_threshold = 0.8
media_types = ["chat", "message"]
backfill_lookback_h = 24             # at start, chats that ended while the relay was stopped (0 .. 744)

# --- Sinks: where events go (each one named; `inputs` wires it) ---------------------------------
[sinks.eventbridge]
type = "eventbridge"
inputs = ["sentiment", "sentiment.alerts"]
region = "us-east-1"                 # credentials: the AWS default chain (environment, profile, SSO,
event_bus = "genesys-relay"          # web identity, container, instance role); needs events:PutEvents
detail_type = "ChatSentimentAnalysis"

[sinks.crm]
type = "webhook"
inputs = ["sentiment"]
url = "https://crm.example.com/genesys/sentiment"
token = "@CRM_TOKEN@"@CRM_PAD@# Authorization: Bearer ...
# secret = "file:/run/credentials/genesys-relay/crm-hmac"   # X-Genesys-Relay-Signature (HMAC-SHA256)

[sinks.marker]
type = "genesys_attributes"
inputs = ["sentiment"]
write = ["participant"]              # PATCH .../participants/{customer}/attributes
)";

void substitute(std::string& text, std::string_view name, std::string_view value) {
  for (std::size_t at; (at = text.find(name)) != std::string::npos;) text.replace(at, name.size(), value);
}

std::string render(std::string_view body, std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out(body);
  out += kService;
  for (auto [name, value] : values) substitute(out, name, value);
  return out;
}

std::string text_for(const std::string& purpose) {
  if (purpose == "simulator") return render(kSimulator, {{"@STATE_DIR@", ""}});
  bool unit = purpose == "systemd";
  std::string token = unit ? "credential:crm-webhook-token" : "${CRM_WEBHOOK_TOKEN}";
  std::string pad(token.size() < 27 ? 27 - token.size() : 1, ' ');  // keeps the comment column
  return render(kRealOrg, {{"@HEAD@", unit ? kSystemdHead : kRealOrgHead},
                           {"@CLIENT_ID@", unit ? "REPLACE-WITH-THE-OAUTH-CLIENT-ID" : "${GENESYSCLOUD_OAUTHCLIENT_ID}"},
                           {"@CLIENT_SECRET@", unit ? "credential:genesys-client-secret" : "${GENESYSCLOUD_OAUTHCLIENT_SECRET}"},
                           {"@CRM_TOKEN@", token},
                           {"@CRM_PAD@", pad},
                           {"@STATE_DIR@", "/var/lib/genesys-relay/"}});
}

}  // namespace

int run_generate_config(const generate_config_args& args) {
  auto text = text_for(args.purpose);
  if (args.output.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(args.output, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "genesys-relay generate-config: cannot write '" << args.output << "'\n";
    return 1;
  }
  std::cerr << "genesys-relay generate-config: wrote " << args.output << "; check it with: genesys-relay validate -c "
            << args.output << "\n";
  return 0;
}

}  // namespace grm::app
