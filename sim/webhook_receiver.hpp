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
};

class webhook_receiver final {
 public:
  explicit webhook_receiver(std::uint16_t port = 0);  // 0: any free port
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
  std::vector<received_webhook> received() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::sim
