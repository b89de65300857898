#include "sinks/genesys_attributes/sink.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/time.hpp"
#include "genesys/api.hpp"
#include "genesys/sentiment_api.hpp"

namespace grm::sinks::genesys_attributes {

namespace asio = boost::asio;
using namespace std::chrono;
using delivery::verdict;

namespace {

delivery::send_result one(verdict v, std::string id_or_code, std::string message = {}, unsigned status = 0) {
  delivery::send_result r;
  if (v == verdict::delivered) r.entries.push_back({v, std::move(id_or_code), {}, {}, status});
  else r.entries.push_back({v, {}, std::move(id_or_code), std::move(message), status});
  return r;
}

}  // namespace

sink::sink(genesys::api_client& api, attributes_settings settings) : api_(api), settings_(settings) {}
sink::~sink() = default;

asio::awaitable<delivery::send_result> sink::send(const std::vector<const delivery::entry*>& batch) {
  const auto& e = *batch.front();
  const auto& id = e.msg.conversation_id;
  std::map<std::string, std::string> marker{{"sentimentForwardingId", e.msg.idempotency_key},
                                            {"forwardingStatus", "forwarded"},
                                            {"updatedAt", format_rfc3339(time_point_cast<milliseconds>(system_clock::now()))}};
  std::string written;
  if (settings_.participant) {
    auto customer = co_await genesys::read_customer(api_, id);
    if (!customer) co_return one(verdict::rejected, "NotFound", "conversation " + id + " not found", 404);
    for (int tries = 1;; ++tries) {
      auto w = co_await genesys::patch_participant_attributes(api_, id, customer->participant_id, marker);
      if (w.result == genesys::write_result::written) break;
      if (tries > settings_.conflict_retries) {
        // An ended conversation does not change version: 409s that outlast the re-reads are a
        // strict org refusing writes once it ended, and retrying them for days would not help.
        if (!customer->ended_at.empty())
          co_return one(verdict::rejected, "ConversationEnded",
                        fmt::format("Genesys still answers 409 ({}) after {} writes of the marker on conversation {}, which "
                                    "ended at {}; attributes of an ended conversation cannot be written there",
                                    w.conflict, tries, id, customer->ended_at),
                        409);
        co_return one(verdict::retry, "Conflict", fmt::format("the participant's attributes still answer 409 after {} writes", tries),
                      409);
      }
      customer = co_await genesys::read_customer(api_, id, true);  // re-read the current version, then write again
      if (!customer) co_return one(verdict::rejected, "NotFound", "conversation " + id + " disappeared after a 409", 404);
    }
    written = "participant";
  }
  if (settings_.conversation) {
    auto w = co_await genesys::put_conversation_attributes(api_, id, marker);
    if (w.result == genesys::write_result::conflict)
      co_return one(verdict::retry, "Conflict", "PUT attributes answered 409 (" + w.conflict + ")", 409);
    written += written.empty() ? "conversation" : " and conversation";
  }
  co_return one(verdict::delivered, "written on the " + written);
}

}  // namespace grm::sinks::genesys_attributes
