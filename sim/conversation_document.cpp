#include "sim/conversation_document.hpp"

#include <boost/json/array.hpp>

#include <cstdio>
#include <functional>

#include "core/time.hpp"

namespace grm::sim {

namespace json = boost::json;
using namespace std::chrono;

namespace {

std::string iso(system_clock::time_point t) { return format_rfc3339(time_point_cast<milliseconds>(t)); }

// The other media arrays a participant carries, empty (the SDK models list them all).
constexpr std::string_view kMediaArrays[] = {"calls", "callbacks", "chats", "cobrowsesessions", "emails",
                                             "messages", "screenshares", "socialExpressions", "videos"};

struct party {
  std::string id, purpose, state;  // state: alerting | connected | disconnected
  system_clock::time_point joined;
  std::optional<system_clock::time_point> left;
  std::vector<std::string> communications;
};

json::object communication(const conversation_shape& c, const party& p, const std::string& id, const std::string& state,
                           bool last) {
  json::object m{{"id", id}, {"state", state}, {"direction", "inbound"}, {"held", false},
                 {"connectedTime", iso(p.joined)}, {"segments", json::array{}}};
  if (c.media == "chat") m["provider"] = "PureCloud Webchat v2";
  if (c.media == "message") m["type"] = "webmessaging";
  if (state == "disconnected") {
    m["disconnectedTime"] = iso(p.left.value_or(p.joined));
    m["disconnectType"] = p.purpose == "customer" ? "client" : "peer";
  }
  if (p.purpose == "agent") {
    // Spec (SDK models): wrap-up and after-call work live on each communication as well.
    m["afterCallWorkRequired"] = true;
    if (c.stage >= 3)
      m["afterCallWork"] = c.stage >= 4 ? json::object{{"state", "complete"}, {"startTime", iso(*c.end)}, {"endTime", iso(*c.end + seconds{20})}}
                                        : json::object{{"state", "pending"}, {"startTime", iso(*c.end)}};
    if (c.stage >= 4 && last) m["wrapup"] = json::object{{"code", c.wrapup_code}, {"notes", ""}, {"durationSeconds", 20}};
  }
  return m;
}

json::object participant(const conversation_shape& c, const party& p) {
  bool customer = p.purpose == "customer";
  json::object o{{"id", p.id}, {"purpose", p.purpose}, {"participantType", customer ? "External" : "Internal"},
                 {"startTime", iso(p.joined)}, {"state", p.state}};
  if (p.left) o["endTime"] = iso(*p.left);
  if (p.state != "alerting") o["connectedTime"] = iso(p.joined);
  if (!customer) o["queueId"] = c.queue_id;
  if (p.purpose == "agent") {
    o["userId"] = c.user_id;
    o["wrapupRequired"] = true;
    if (c.stage >= 4) o["wrapup"] = json::object{{"code", c.wrapup_code}, {"notes", ""}, {"durationSeconds", 20}};
  }
  if (customer) o["name"] = "Customer";
  json::object attributes;
  if (customer)
    for (auto& [k, v] : c.customer_attributes) attributes[k] = v;
  o["attributes"] = attributes;
  for (auto a : kMediaArrays) o[a] = json::array{};
  auto& sessions = o[media_array(c.media)].as_array();
  for (std::size_t i = 0; i < p.communications.size(); ++i) {
    bool last = i + 1 == p.communications.size();
    // Earlier communications of a transferred customer have ended; the last has the party's state.
    sessions.push_back(communication(c, p, p.communications[i], last ? p.state : "disconnected", last));
  }
  return o;
}

}  // namespace

std::string communication_id(std::string_view conversation_id, std::string_view role, int n) {
  auto h1 = std::hash<std::string>{}(std::string(conversation_id) + "/" + std::string(role) + "/" + std::to_string(n));
  auto h2 = std::hash<std::string>{}(std::to_string(h1) + std::string(conversation_id));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(h1 >> 32),
                static_cast<unsigned>((h1 >> 16) & 0xffff), static_cast<unsigned>(h1 & 0xfff),
                static_cast<unsigned>(h2 >> 52), static_cast<unsigned long long>(h2 & 0xffffffffffffULL));
  return buf;
}

std::string_view media_array(std::string_view media) {
  if (media == "voice") return "calls";
  if (media == "chat") return "chats";
  return "messages";
}

json::object conversation_document(const conversation_shape& c) {
  bool ended = c.stage >= 3 && c.end;
  auto queued = c.start + seconds{2};
  std::vector<party> parties;
  party customer{c.id + "-cust", "customer", ended ? "disconnected" : "connected", c.start, ended ? c.end : std::nullopt, {}};
  for (int i = 0; i < std::max(1, c.customer_sessions); ++i) customer.communications.push_back(communication_id(c.id, "customer", i));
  parties.push_back(customer);
  parties.push_back({c.id + "-acd", "acd", c.stage >= 1 ? "disconnected" : "connected", c.start,
                     c.stage >= 1 ? std::optional{queued} : std::nullopt, {communication_id(c.id, "acd", 0)}});
  if (c.stage >= 1)
    parties.push_back({c.id + "-agent", "agent", ended ? "disconnected" : c.stage == 1 ? "alerting" : "connected", queued,
                       ended ? c.end : std::nullopt, {communication_id(c.id, "agent", 0)}});
  json::array participants;
  for (auto& p : parties) participants.push_back(participant(c, p));
  json::object doc{{"id", c.id}, {"startTime", iso(c.start)}, {"participants", participants}, {"recordingState", "none"},
                   {"maxParticipants", 3}, {"divisions", json::array{}}, {"selfUri", "/api/v2/conversations/" + c.id}};
  if (ended) doc["endTime"] = iso(*c.end);
  return doc;
}

}  // namespace grm::sim
