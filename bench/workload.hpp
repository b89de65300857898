#pragma once
// Deterministic workloads shaped like the Node peer's generator (../shared/peers/node-seed/
// gen_sse_file.js): tutorial-shaped SSE events of ~330-550 bytes of JSON, weighted event types
// (start, update, end, wrapup and a type the tutorial does not know), ~5 % keep-alives; and
// Notifications WebSocket frames (detail events and queue conversation snapshots).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace grm::pipeline {
class event_router;
}

namespace grm::bench {

// Handlers that do the work the tutorial's listeners do (listeners.js): format the line each
// event would log, into `sink`, so the comparison with the Node peer is like for like.
void attach_tutorial_listeners(pipeline::event_router& router, std::string& sink);

struct sse_workload {
  std::string bytes;
  std::size_t events = 0;      // records that are real events
  std::size_t keepalives = 0;  // `data: {}` / `data:` records
};

sse_workload make_sse_workload(std::size_t events, std::uint64_t seed = 42, double keepalive_ratio = 0.05);
// Reads a file (e.g. the peer's data/events.sse) as the workload; events/keepalives counted.
sse_workload load_sse_file(const std::string& path);

std::vector<std::string> make_notification_frames(std::size_t frames, std::uint64_t seed = 42);

// The seed's sentiment payload (conversationId, sentimentMatrix, escalationThreshold,
// forwardingId, timestamp), ~330 bytes, varied by `i`: the Detail of a forwarded event.
std::string sentiment_detail(std::uint64_t i);

// The p-quantile (0..1) of `v` by nth_element (reorders v); 0 for an empty vector.
double percentile(std::vector<double>& v, double p);

// Peak resident set size of this process in bytes (VmHWM), 0 when unknown.
std::size_t peak_rss_bytes();
// Resident set size now (VmRSS), 0 when unknown.
std::size_t current_rss_bytes();

}  // namespace grm::bench
