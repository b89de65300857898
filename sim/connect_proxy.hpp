#pragma once
// An HTTP CONNECT proxy on loopback, for tests of HTTPS_PROXY support: it answers CONNECT with
// 200 and then pipes bytes both ways, recording each tunnel's target and Proxy-Authorization.
// With required_authorization set, a CONNECT without that exact header gets 407.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grm::sim {

struct proxy_tunnel {
  std::string target;         // host:port from the CONNECT line
  std::string authorization;  // the Proxy-Authorization header, "" when absent
  bool accepted = false;
};

class connect_proxy final {
 public:
  explicit connect_proxy(std::string required_authorization = {});
  ~connect_proxy();  // stops and joins
  connect_proxy(const connect_proxy&) = delete;
  connect_proxy& operator=(const connect_proxy&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT
  std::vector<proxy_tunnel> tunnels() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::sim
