#include "sim/forwarding_targets.hpp"

#include "sim/aws_emulator.hpp"
#include "sim/webhook_receiver.hpp"

namespace grm::sim {

sentiment::forwarding_settings forward_to(const aws_emulator& aws, const webhook_receiver& crm, const std::string& crm_path) {
  sentiment::forwarding_settings s;
  sentiment::eventbridge_target eb;
  eb.settings.region = aws.options().region;
  eb.settings.endpoint = aws.https_url();
  const auto& key = aws.options().keys.at(0);
  eb.keys = aws::credentials{key.access_key_id, secret(key.secret_access_key), secret(key.session_token),
                             key.expiration, "the AWS emulator's key"};
  eb.http.tls.ca_pem = aws.certificate_pem();
  eb.credentials.tls.ca_pem = aws.certificate_pem();
  s.eventbridge = std::move(eb);
  sentiment::webhook_target hook;
  hook.settings.url = crm.https_url() + crm_path;
  hook.settings.http.tls.ca_pem = crm.certificate_pem();
  s.crm = std::move(hook);
  s.marker = sentiment::marker_target{};
  return s;
}

}  // namespace grm::sim
