#pragma once
// Forwarding settings aimed at the simulated sinks: EventBridge on the AWS emulator (its Region,
// its first key) and the CRM webhook on a receiver, each over TLS verified against its own
// certificate only. Callers add what a case needs (alert webhook, audit path, state, delivery).
#include <string>

#include "pipeline/sentiment/forwarding_service.hpp"

namespace grm::sim {

class aws_emulator;
class webhook_receiver;

sentiment::forwarding_settings forward_to(const aws_emulator& aws, const webhook_receiver& crm,
                                          const std::string& crm_path = "/crm");

}  // namespace grm::sim
