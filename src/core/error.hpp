#pragma once
// Errors that leave a module carry a kind; retry decisions look at the kind, never at strings.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace grm {

enum class error_kind : std::uint8_t {
  network,          // connect/read/write failed, peer closed
  timeout,          // a deadline passed
  cancelled,        // we asked it to stop
  auth,             // 401/403 or OAuth failure: needs a human
  client,           // 4xx other than auth: our request is wrong, retrying will not help
  rate_limited,     // 429
  server,           // 5xx
  invalid_payload,  // the peer sent something we cannot parse
  config,           // configuration is wrong
  storage,          // a local file or database failed at run time (disk full, I/O error): retry later
};

std::string_view to_string(error_kind kind) noexcept;

class relay_error : public std::runtime_error {
 public:
  relay_error(error_kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  error_kind kind() const noexcept { return kind_; }

 private:
  error_kind kind_;
};

}  // namespace grm
