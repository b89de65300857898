#pragma once
// The simulated org's conversations as GET /api/v2/conversations/{id} and the queue/user
// conversation topics return them: the Conversation model of the SDKs (startTime, endTime once
// ended, participants with their purpose, times, queue and user, wrap-up, attributes, and one
// array per media type whose communications carry their own state, times, wrapup and
// afterCallWork). One builder for the generator's conversations and the sentiment records, so
// both answer in the same shape.
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace grm::sim {

struct conversation_shape {
  std::string id;
  std::string media;  // voice | chat | message
  std::chrono::system_clock::time_point start;
  std::optional<std::chrono::system_clock::time_point> end;
  std::string queue_id, user_id;
  // The generator's stages: 0 customer waits in queue, 1 agent alerted, 2 connected, 3 ended
  // (after-call work), 4 wrapped up.
  int stage = 4;
  int customer_sessions = 1;  // a transfer gives the customer another communication
  std::string wrapup_code = "Resolved";
  std::map<std::string, std::string> customer_attributes;
};

// A communication's id, UUID-shaped and repeatable: the n-th of `role` in that conversation.
std::string communication_id(std::string_view conversation_id, std::string_view role, int n);
std::string_view media_array(std::string_view media);  // "calls", "chats", "messages"

boost::json::object conversation_document(const conversation_shape& c);

}  // namespace grm::sim
