#include "pipeline/config.hpp"

#include "pipeline/decode.hpp"

namespace grm::pipeline {

event_filter parse_filter(const config::section& s) {
  s.reject_unknown({"type", "inputs", "event_types", "media_types", "queues"});
  event_filter f;
  for (auto& k : s.strings("event_types")) {
    auto kind = lifecycle_from_name(k);
    if (!kind) s.fail("event_types", s.qualified("event_types") + ": '" + k + "' is not one of start, update, end, wrapup, unknown");
    f.kinds.insert(*kind);
  }
  for (auto& m : s.strings("media_types")) f.media_types.insert(normalise_media_type(m));
  for (auto& q : s.strings("queues")) f.queues.insert(q);
  return f;
}

}  // namespace grm::pipeline
