#pragma once
// The Genesys write-back marker as a sink: sentimentForwardingId, forwardingStatus and updatedAt
// written on the customer participant (PATCH .../participants/{id}/attributes, the real API)
// and/or on the conversation (the tutorial's PUT .../attributes). A 409 re-reads the
// conversation and writes again up to conflict_retries times within the request, then waits
// for a later attempt; 404 (the conversation is gone) and 403 (a permission is missing, or an
// org that refuses writes on ended conversations) are dead letters with the API's message. Its
// failures never hold back the other sinks: each target is delivered on its own.
#include <memory>

#include "delivery/sink.hpp"

namespace grm::genesys {
class api_client;
}

namespace grm::sinks::genesys_attributes {

struct attributes_settings {
  bool participant = true;     // PATCH the customer participant (the real API)
  bool conversation = false;   // PUT on the conversation (the tutorial's call)
  int conflict_retries = 3;
};

class sink final : public delivery::sink {
 public:
  sink(genesys::api_client& api, attributes_settings settings);  // `api` must outlive the sink
  ~sink() override;
  delivery::batch_limits limits() const override { return {1, 0}; }
  boost::asio::awaitable<delivery::send_result> send(const std::vector<const delivery::entry*>& batch) override;
  // No write is harmless, so nothing is called: the marker uses the Genesys token checked first.
  boost::asio::awaitable<delivery::probe_result> probe() override {
    co_return delivery::probe_result{delivery::probe_outcome::not_checked,
                                     "writes with the Genesys token checked above; no attribute write is harmless, so none is made"};
  }

 private:
  genesys::api_client& api_;
  attributes_settings settings_;
};

}  // namespace grm::sinks::genesys_attributes
