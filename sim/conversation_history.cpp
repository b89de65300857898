#include "sim/conversation_history.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "core/time.hpp"

namespace grm::sim {

namespace json = boost::json;

namespace {

constexpr std::size_t kKept = 100'000;

sim_reply bad_request(const std::string& message) {
  return {400, json::serialize(json::object{{"message", message}, {"code", "bad.request"}, {"status", 400}})};
}

// The values of `dimension` predicates anywhere in a filter list ("segmentFilters": [{type,
// predicates: [{dimension: mediaType, value: chat}, ...]}]).
std::vector<std::string> values_of(const json::object& q, std::string_view list, std::string_view dimension) {
  std::vector<std::string> out;
  auto* filters = q.if_contains(list);
  if (!filters || !filters->is_array()) return out;
  for (auto& f : filters->as_array()) {
    if (!f.is_object()) continue;
    auto* preds = f.as_object().if_contains("predicates");
    if (!preds || !preds->is_array()) continue;
    for (auto& p : preds->as_array()) {
      if (!p.is_object()) continue;
      auto& o = p.as_object();
      auto* d = o.if_contains("dimension");
      auto* v = o.if_contains("value");
      if (d && d->is_string() && d->as_string() == dimension && v && v->is_string()) out.emplace_back(v->as_string());
    }
  }
  return out;
}

bool wants_ended(const json::object& q) {
  auto* filters = q.if_contains("conversationFilters");
  if (!filters || !filters->is_array()) return false;
  for (auto& f : filters->as_array())
    if (auto* preds = f.is_object() ? f.as_object().if_contains("predicates") : nullptr; preds && preds->is_array())
      for (auto& p : preds->as_array())
        if (p.is_object() && p.as_object().if_contains("dimension") && p.as_object().at("dimension") == "conversationEnd" &&
            p.as_object().if_contains("operator") && p.as_object().at("operator") == "exists")
          return true;
  return false;
}

json::object record_of(const history_entry& e) {
  json::object segment{{"segmentStart", format_rfc3339_epoch_ms(e.start_ms)}, {"segmentType", "interact"}, {"queueId", e.queue_id}};
  if (e.end_ms) segment["segmentEnd"] = format_rfc3339_epoch_ms(e.end_ms);
  json::object session{{"mediaType", e.media}, {"segments", json::array{segment}}};
  json::object customer{{"participantId", "p-customer-" + e.id.substr(0, 8)}, {"purpose", "customer"},
                        {"sessions", json::array{session}}};
  json::object c{{"conversationId", e.id}, {"conversationStart", format_rfc3339_epoch_ms(e.start_ms)},
                 {"originatingDirection", "inbound"}, {"participants", json::array{customer}}};
  if (e.end_ms) c["conversationEnd"] = format_rfc3339_epoch_ms(e.end_ms);
  return c;
}

}  // namespace

conversation_history::conversation_history(const std::string& ledger_path, std::size_t max_page_size)
    : max_page_size_(max_page_size) {
  if (!ledger_path.empty()) ledger_.open(ledger_path, std::ios::app);
}

void conversation_history::started(const std::string& id, const std::string& media, const std::string& queue_id,
                                   std::int64_t now_ms) {
  entries_.push_back({id, media, queue_id, now_ms, 0});
  if (entries_.size() > kKept) entries_.pop_front();
}

void conversation_history::ended(const std::string& id, std::int64_t now_ms) {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (it->id == id) {
      it->end_ms = now_ms;
      if (ledger_)
        ledger_ << json::serialize(json::object{{"conversationId", id}, {"mediaType", it->media}, {"endedAtMs", now_ms}}) << '\n'
                << std::flush;
      return;
    }
}

std::optional<sim_reply> conversation_history::query(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object() || v.as_object().contains("view")) return std::nullopt;  // the tutorial's query
  ++queries_;
  auto& q = v.as_object();
  auto* interval = q.if_contains("interval");
  if (!interval || !interval->is_string()) return bad_request("interval is required (ISO-8601 start/end)");
  std::string iv(interval->as_string());
  auto slash = iv.find('/');
  auto from = parse_rfc3339(iv.substr(0, slash));
  auto to = slash == std::string::npos ? std::nullopt : parse_rfc3339(iv.substr(slash + 1));
  if (!from || !to) return bad_request("interval '" + iv + "' is not ISO-8601 start/end");
  std::size_t size = 25, number = 1;
  if (auto* p = q.if_contains("paging"); p && p->is_object()) {
    if (auto* s = p->as_object().if_contains("pageSize"); s && s->is_int64()) size = static_cast<std::size_t>(s->as_int64());
    if (auto* n = p->as_object().if_contains("pageNumber"); n && n->is_int64()) number = static_cast<std::size_t>(n->as_int64());
  }
  if (size < 1 || size > max_page_size_ || number < 1)
    return bad_request("paging: pageSize must be 1 to " + std::to_string(max_page_size_) + " and pageNumber at least 1");
  auto media = values_of(q, "segmentFilters", "mediaType");
  auto queues = values_of(q, "segmentFilters", "queueId");
  bool ended_only = wants_ended(q);
  auto lo = from->time_since_epoch().count(), hi = to->time_since_epoch().count();
  std::vector<const history_entry*> hits;
  for (auto& e : entries_) {
    if (e.start_ms < lo || e.start_ms >= hi) continue;  // conversations that started in the interval
    if (ended_only && !e.end_ms) continue;
    if (!media.empty() && std::find(media.begin(), media.end(), e.media) == media.end()) continue;
    if (!queues.empty() && std::find(queues.begin(), queues.end(), e.queue_id) == queues.end()) continue;
    hits.push_back(&e);
  }
  json::array page;
  for (std::size_t i = (number - 1) * size; i < hits.size() && i < number * size; ++i) page.push_back(record_of(*hits[i]));
  json::object out{{"totalHits", hits.size()}};
  if (!page.empty()) out["conversations"] = std::move(page);  // the API omits an empty list
  return sim_reply{200, json::serialize(out)};
}

}  // namespace grm::sim
