#pragma once
// A CRM (or alerting) webhook endpoint on loopback, HTTP and HTTPS: records every POST and
// answers 200 {"status":"ok"}, or a chosen status for the next N requests, or nothing at all.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grm::sim {

struct received_webhook {
  std::string path;
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string idempotency_key;  // Idempotency-Key
  std::string timestamp;        // X-Genesys-Relay-Timestamp
  std::string signature;        // X-Genesys-Relay-Signature
  unsigned answered = 200;      // the status this receiver answered
};

class webhook_receiver final {
 public:
  // 0: any free port. `log` (optional): one JSON line per POST, appended and flushed as it arrives.
  explicit webhook_receiver(std::uint16_t port = 0, const std::string& log = {});
  ~webhook_receiver();
  webhook_receiver(const webhook_receiver&) = delete;
  webhook_receiver& operator=(const webhook_receiver&) = delete;

  std::string http_url() const;
  std::string https_url() const;
  const std::string& certificate_pem() const noexcept;

  void fail_next(int requests, unsigned status);
  // A hung CRM: requests are read and never answered (until the client gives up or this is
  // switched off). Counted in received() as they arrive.
  void stall(bool on);
  std::vector<received_webhook> received() const;  // every POST, the failed ones too
  std::size_t accepted() const;                     // POSTs answered 200

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::sim
