#include "bench/workload.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pipeline/route.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace grm::bench {
namespace {

struct gen {
  std::mt19937_64 rng;
  std::string hex(int n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s += digits[rng() % 16];
    return s;
  }
  std::string uuid() { return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12); }
  double unit() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
};

// Same weights as the peer generator: ~20 % start, 50 % update, 15 % end, 12 % wrapup, 3 % other.
const char* pick_type(double u) {
  if (u < 0.20) return "conversation:start";
  if (u < 0.70) return "conversation:update";
  if (u < 0.85) return "conversation:end";
  if (u < 0.97) return "conversation:wrapup";
  return "conversation:transfer";
}

std::string tutorial_event(gen& g, std::size_t i, std::vector<std::string>& live) {
  // Conversations recur, as in a real stream: most events belong to one seen before.
  if (live.empty() || g.unit() < 0.2) live.push_back(g.uuid());
  if (live.size() > 4096) live.erase(live.begin());
  const auto& id = live[g.rng() % live.size()];
  static constexpr const char* media[] = {"voice", "chat", "message", "email"};
  return fmt::format(
      R"({{"eventType":"{}","conversationId":"{}","timestamp":"2024-05-01T08:{:02}:{:02}.{:03}Z","mediaType":"{}","direction":"inbound","queueId":"{}","participants":[{{"participantId":"{}","purpose":"customer","state":"connected","ani":"tel:+1555{:07}"}},{{"participantId":"{}","purpose":"agent","userId":"{}","state":"connected"}}]}})",
      pick_type(g.unit()), id, (i / 60000) % 60, (i / 1000) % 60, i % 1000, media[g.rng() % 4], g.uuid(),
      g.uuid(), g.rng() % 10000000, g.uuid(), g.uuid());
}

}  // namespace

sse_workload make_sse_workload(std::size_t events, std::uint64_t seed, double keepalive_ratio) {
  gen g{std::mt19937_64{seed}};
  sse_workload w;
  std::vector<std::string> live;
  w.bytes.reserve(events * 450);
  while (w.events < events) {
    if (g.unit() < keepalive_ratio) {
      w.bytes += (g.rng() & 1) ? "data: {}\n\n" : "data:\n\n";
      ++w.keepalives;
      continue;
    }
    w.bytes += "data: ";
    w.bytes += tutorial_event(g, w.events, live);
    w.bytes += "\n\n";
    ++w.events;
  }
  return w;
}

sse_workload load_sse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  sse_workload w;
  w.bytes = std::move(ss).str();
  for (std::size_t pos = 0; (pos = w.bytes.find("data:", pos)) != std::string::npos; pos += 5) {
    auto rest = std::string_view(w.bytes).substr(pos + 5, 4);
    if (rest.starts_with("\n") || rest.starts_with(" {}\n")) ++w.keepalives;
    else ++w.events;
  }
  return w;
}

std::vector<std::string> make_notification_frames(std::size_t frames, std::uint64_t seed) {
  gen g{std::mt19937_64{seed}};
  std::vector<std::string> out;
  out.reserve(frames);
  static constexpr const char* detail[] = {"customer.start", "acd.end", "user.start", "customer.end", "acw"};
  for (std::size_t i = 0; i < frames; ++i) {
    auto conv = g.uuid();
    if (i % 10 == 9) {
      out.push_back(R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})");
    } else if (i % 2 == 0) {
      auto topic = "v2.detail.events.conversation." + conv + "." + detail[g.rng() % 5];
      out.push_back(fmt::format(
          R"({{"topicName":"{}","version":"2","eventBody":{{"eventTime":{},"conversationId":"{}","participantId":"{}","mediaType":"CHAT","queueId":"{}"}},"metadata":{{"CorrelationId":"{}"}}}})",
          topic, 1714550400000 + i, conv, g.uuid(), g.uuid(), g.uuid()));
    } else {
      auto queue = g.uuid();
      out.push_back(fmt::format(
          R"({{"topicName":"v2.routing.queues.{}.conversations","version":"2","eventBody":{{"id":"{}","participants":[{{"id":"{}","purpose":"customer","queueId":"{}","chats":[{{"id":"{}","state":"connected","direction":"inbound"}}]}},{{"id":"{}","purpose":"agent","userId":"{}","wrapupRequired":true,"chats":[{{"id":"{}","state":"connected","direction":"inbound"}}]}}]}},"metadata":{{"CorrelationId":"{}"}}}})",
          queue, conv, g.uuid(), queue, g.uuid(), g.uuid(), g.uuid(), g.uuid(), g.uuid()));
    }
  }
  return out;
}

std::string sentiment_detail(std::uint64_t i) {
  auto hex = [](std::uint64_t v, int digits) {
    std::string s(static_cast<std::size_t>(digits), '0');
    for (int d = digits - 1; d >= 0; --d, v >>= 4) s[static_cast<std::size_t>(d)] = "0123456789abcdef"[v & 15];
    return s;
  };
  auto uuid = [&](std::uint64_t v) {
    return hex(v >> 32, 8) + "-" + hex(v >> 16, 4) + "-4" + hex(v, 3) + "-a" + hex(v >> 8, 3) + "-" + hex(v * 2654435761u, 12);
  };
  double negative = static_cast<double>(i % 10'000) / 10'000.0;
  return fmt::format(
      R"({{"conversationId":"{}","sentimentMatrix":{{"polarity":"{}","confidence":0.8734,"positive":{:.4f},"neutral":0.0445,"negative":{:.4f}}},"escalationThreshold":0.85,"forwardingId":"{}","timestamp":"2026-11-22T10:00:00.000Z"}})",
      uuid(i * 0x9E3779B97F4A7C15ull), negative > 0.5 ? "negative" : "positive", 1.0 - negative, negative,
      uuid(i ^ 0xC2B2AE3D27D4EB4Full));
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

namespace {
// A "Name:   N kB" line of /proc/self/status, in bytes; 0 when absent.
std::size_t status_bytes(std::string_view name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':')
      return std::stoull(line.substr(name.size() + 1)) * 1024;
  return 0;
}
}  // namespace

std::size_t peak_rss_bytes() { return status_bytes("VmHWM"); }
std::size_t current_rss_bytes() { return status_bytes("VmRSS"); }

void attach_tutorial_listeners(pipeline::event_router& router, std::string& sink) {
  router.on<conversation_start>([&](const conversation_start& e) {
    sink = fmt::format("[START] Conversation {} at {}", e.conversation_id, e.timestamp);
  });
  router.on<conversation_update>([&](const conversation_update& e) {
    sink = fmt::format("[UPDATE] Conversation {} state changed", e.conversation_id);
  });
  router.on<conversation_end>([&](const conversation_end& e) {
    sink = fmt::format("[END] Conversation {} terminated at {}", e.conversation_id, e.timestamp);
  });
  router.on<conversation_wrapup>([&](const conversation_wrapup& e) {
    sink = fmt::format("[WRAPUP] Conversation {} entered wrapup", e.conversation_id);
  });
}

}  // namespace grm::bench
