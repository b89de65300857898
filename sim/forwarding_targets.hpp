#pragma once
// Plans aimed at the simulators, for tests, benchmarks and the demo: the Genesys connection to
// the simulated org, and the sinks of the usual forwarding setup — EventBridge on the AWS
// emulator (its Region, its first key; payloads and alerts), the CRM webhook on a receiver
// (payloads), the Genesys marker — each over TLS verified against its own certificate only.
// Callers add what a case needs (an alert webhook, the audit path, the state, delivery options).
#include <string>
#include <vector>

#include "sinks/webhook/sink.hpp"
#include "topology/plan.hpp"

namespace grm::sim {

class aws_emulator;
class genesys_simulator;
struct sim_options;
class webhook_receiver;

// The org's OAuth client from `o` (the simulator's defaults: sim-client / sim-secret).
genesys::connection_settings connect_to(const genesys_simulator& org, const sim_options& o);
topology::sink_plan eventbridge_sink(const aws_emulator& aws, std::vector<std::string> inputs);
topology::sink_plan webhook_sink(std::string id, const webhook_receiver& hook, const std::string& path,
                                 std::vector<std::string> inputs,
                                 sinks::webhook::body_shape body = sinks::webhook::body_shape::envelope);
topology::sink_plan marker_sink();

// A plan with the sentiment transform "sentiment" (no inputs: forward() only) and the sinks
// "eventbridge" (payloads and alerts), "crm" (payloads at `crm_path`) and "marker".
topology::plan forwarding_plan(const aws_emulator& aws, const webhook_receiver& crm, const std::string& crm_path = "/crm");

}  // namespace grm::sim
