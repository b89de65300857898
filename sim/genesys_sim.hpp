#pragma once
// A Genesys Cloud org in a process, for tests and the demo. One port serves HTTPS and plain HTTP
// (detected per connection): the login host's /oauth/token, the API (/api/v2/...), the
// Notifications WebSocket (/channels/{id}) and the tutorial's SSE endpoint. Shapes follow
// shared spec facts; where the spec is unsure, the choice is commented at the code.
//
// It runs on its own thread and io_context, like a remote service. Every public method is
// thread-safe (it posts to the simulator's thread) and may be called from tests.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grm::sim {

struct sentiment_record;

struct sim_options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: ephemeral
  std::string client_id = "sim-client";
  std::string client_secret = "sim-secret";
  std::chrono::seconds token_lifetime{86400};
  std::chrono::milliseconds heartbeat_interval{30'000};
  std::chrono::milliseconds channel_lifetime{24 * 3600 * 1000};
  std::chrono::milliseconds socket_closing_grace{60'000};  // close after socket_closing
  // Conversation generator: a new conversation every `start_interval`, each advancing one
  // lifecycle stage every `stage_interval`; stops starting new ones after `max_conversations`
  // (0 = unlimited).
  std::chrono::microseconds start_interval{200'000};
  std::chrono::milliseconds stage_interval{400};
  std::size_t max_conversations = 0;
  bool start_paused = false;  // the generator waits for pause_generator(false)
  std::vector<std::string> queue_ids = {"6a0f0e9c-0d3e-4c7b-9a57-0a4a6f3a1b22",
                                        "0c7d5a12-77e1-4f0a-8a0e-3b8f1f2d9e44"};
  std::vector<std::string> user_ids = {"u-agent-1", "u-agent-2"};
  std::chrono::milliseconds sse_keepalive_interval{1000};
  std::size_t max_topics_per_channel = 1000;
  std::size_t max_channels = 20;
  bool channels_end_with_token = false;  // a channel closes (and is gone) when the token that created it expires
  // Per-token rate limit, as the API applies it: `api_rate_limit` requests per `rate_limit_window`
  // (0: off, and no inin-ratelimit-* headers). Past it: 429 too.many.requests + Retry-After.
  std::uint32_t api_rate_limit = 0;
  std::chrono::milliseconds rate_limit_window{60'000};
  bool log_rate_limited = true;  // one stderr line per 429 the limit answers
  std::string ledger_path;  // one JSON line per conversation the generator ends (loss tests' ground truth)
  // A strict org: attribute PATCHes on a conversation that has ended answer 409 (the participant is
  // terminated) instead of being accepted. The code and text are the simulator's: Genesys does not
  // document them, so the relay decides from the conversation's endTime, not from the code.
  bool refuse_writes_after_end = false;
};

struct sim_stats {
  std::size_t conversations_started = 0;
  std::size_t conversations_wrapped = 0;
  std::size_t tokens_issued = 0;
  std::size_t channels_created = 0;
  std::size_t websocket_connections = 0;
  std::size_t sse_connections = 0;
  std::size_t frames_published = 0;
  std::size_t rate_limited = 0;
  std::size_t unauthorized = 0;
  std::size_t conversation_reads = 0;
  std::size_t api_requests = 0;     // /api/v2 requests with a valid token (the rate limit's count)
  std::size_t transcript_urls = 0;  // transcripturl requests answered (200 or 404)
};

class genesys_simulator final {
 public:
  explicit genesys_simulator(sim_options options);
  ~genesys_simulator();  // stops and joins
  genesys_simulator(const genesys_simulator&) = delete;
  genesys_simulator& operator=(const genesys_simulator&) = delete;

  std::uint16_t port() const noexcept;
  std::string https_url() const;  // https://127.0.0.1:PORT
  std::string http_url() const;   // http://127.0.0.1:PORT
  const std::string& certificate_pem() const noexcept;

  // --- fault injection ---------------------------------------------------------------------
  void drop_sockets();                          // close every WebSocket without a close frame
  void refuse_websockets_for(std::chrono::milliseconds d);  // upgrades answered 503 meanwhile
  void send_socket_closing();                   // v2.system.socket_closing, then close after grace
  void expire_channels();                       // channels past their 24 h: socket closed, 404
  void rate_limit_next(int requests, int retry_after_seconds);  // 429 + Retry-After
  void fail_next(int requests, unsigned status);                // e.g. 502, 503, 504
  void revoke_tokens();                         // issued tokens answer 401 from now on
  void reject_credentials(bool on);             // /oauth/token: 401 invalid_client
  void forbid(bool on);                         // API: 403 missing.permissions
  void refuse_writes_after_end(bool on);        // sim_options::refuse_writes_after_end, at run time
  void inject_malformed();                      // one bad frame / bad SSE line to every stream
  void inject_oversized(std::size_t bytes);     // one valid but huge event to every stream
  void inject_wrong_types();                    // one event whose fields have the wrong JSON types
  void slow_delivery(bool on);                  // SSE bytes one at a time
  void pause_heartbeats(bool on);               // the silent-socket fault
  void pause_generator(bool on);

  // --- sentiment and attributes (see sim/sentiment_data.hpp) --------------------------------
  void add_sentiment(sentiment_record record);  // a finished chat with this sentiment
  std::optional<sentiment_record> sentiment_of(const std::string& conversation_id) const;
  std::size_t sentiment_reads() const;  // analytics queries + STA reads
  // A record's conversation document, as its end notification's eventBody carries it.
  std::optional<std::string> conversation_json(const std::string& conversation_id) const;

  sim_stats stats() const;
  // Lifecycle stages each conversation went through, as published (for assertions).
  std::map<std::string, std::vector<std::string>> published_lifecycles() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::sim
