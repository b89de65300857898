#pragma once
// A value that must never be printed: client secrets, tokens, AWS keys.
// It has no implicit conversion to string and formats as "<redacted>" through fmt/spdlog,
// so a secret cannot reach a log or an error message by accident; reading it takes
// an explicit reveal() at the one place that puts it on the wire.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace grm {

// Environment variables that carry the relay's own secrets. They are kept from every child the
// relay starts (credential_process), which needs the AWS variables but never these: the fixed
// ones, and each a configuration names (a webhook sink's token_env and secret_env), registered
// when the configuration is read.
inline constexpr std::string_view relay_secret_variables[] = {
    "GENESYSCLOUD_OAUTHCLIENT_SECRET", "CRM_WEBHOOK_TOKEN", "ALERT_WEBHOOK_TOKEN", "CRM_WEBHOOK_SECRET",
    "ALERT_WEBHOOK_SECRET"};
void register_secret_variable(std::string name);  // call while the configuration is read (one thread)
bool is_secret_variable(std::string_view name);

class secret final {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}
  secret(const secret&) = default;
  secret& operator=(const secret&) = default;
  secret(secret&&) noexcept = default;
  secret& operator=(secret&&) noexcept = default;
  ~secret() { scrub(); }

  std::string_view reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  friend bool operator==(const secret& a, const secret& b) noexcept { return a.value_ == b.value_; }

 private:
  void scrub() noexcept {
    volatile char* p = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) p[i] = 0;
  }
  std::string value_;
};

// A secret kept in a file: its contents less trailing newlines (what `echo secret > file` leaves);
// nullopt when the file cannot be read. The caller names the setting in its error.
std::optional<secret> read_secret_file(const std::string& path);

}  // namespace grm

template <>
struct fmt::formatter<grm::secret> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const grm::secret&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
