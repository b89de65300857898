#include "sim/forwarding_targets.hpp"

#include "sim/aws_emulator.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/webhook_receiver.hpp"
#include "sinks/eventbridge/component.hpp"
#include "sinks/genesys_attributes/component.hpp"
#include "sinks/webhook/component.hpp"

namespace grm::sim {

genesys::connection_settings connect_to(const genesys_simulator& org, const sim_options& o) {
  genesys::connection_settings c;
  c.api_base = org.https_url();
  c.login_base = org.https_url();
  c.credentials = {o.client_id, secret(o.client_secret)};
  c.http.tls.ca_pem = org.certificate_pem();  // verification stays on: the simulator's certificate is trusted
  return c;
}

topology::sink_plan eventbridge_sink(const aws_emulator& aws, std::vector<std::string> inputs) {
  sinks::eventbridge::eventbridge_target eb;
  eb.settings.region = aws.options().region;
  eb.settings.endpoint = aws.https_url();
  const auto& key = aws.options().keys.at(0);
  eb.keys = aws::credentials{key.access_key_id, secret(key.secret_access_key), secret(key.session_token), key.expiration,
                             "the AWS emulator's key"};
  eb.http.tls.ca_pem = aws.certificate_pem();
  eb.credentials.tls.ca_pem = aws.certificate_pem();
  return {"eventbridge", std::move(inputs), std::make_unique<sinks::eventbridge::component>(std::move(eb))};
}

topology::sink_plan webhook_sink(std::string id, const webhook_receiver& hook, const std::string& path,
                                 std::vector<std::string> inputs, sinks::webhook::body_shape body) {
  sinks::webhook::webhook_settings w;
  w.url = hook.https_url() + path;
  w.body = body;
  w.http.tls.ca_pem = hook.certificate_pem();
  return {std::move(id), std::move(inputs), std::make_unique<sinks::webhook::component>(std::move(w))};
}

topology::sink_plan marker_sink() {
  return {"marker", {"sentiment"}, std::make_unique<sinks::genesys_attributes::component>(sinks::genesys_attributes::attributes_settings{})};
}

topology::plan forwarding_plan(const aws_emulator& aws, const webhook_receiver& crm, const std::string& crm_path) {
  topology::plan p;
  p.sentiment = topology::sentiment_plan{};
  p.sinks.push_back(eventbridge_sink(aws, {"sentiment", "sentiment.alerts"}));
  p.sinks.push_back(webhook_sink("crm", crm, crm_path, {"sentiment"}));
  p.sinks.push_back(marker_sink());
  return p;
}

}  // namespace grm::sim
