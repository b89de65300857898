// The machine's limit for SSE ingest: what any consumer of the tutorial's stream must at least do,
// and nothing more. Read the file in 64 KiB chunks (as monitor_load --file and the Node peer do),
// split lines with memchr, and for each `data:` line take eventType and conversationId with
// simdjson On-Demand. No event object, no tracking, no routing, no dispatch. monitor_load's
// figure on the same file, as a share of this one, is how close the relay comes to the floor.
//   limit --file PATH [--chunk-bytes N] [--json]
#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include "bench/workload.hpp"

namespace {

using namespace std::chrono;

struct counts {
  std::uint64_t bytes = 0, events = 0, keepalives = 0, errors = 0;
  std::array<std::uint64_t, 5> by_type{};  // start, update, end, wrapup, other
  std::uint64_t id_bytes = 0;              // so the conversation id is really read
};

std::size_t type_index(std::string_view t) {
  if (t == "conversation:start") return 0;
  if (t == "conversation:update") return 1;
  if (t == "conversation:end") return 2;
  if (t == "conversation:wrapup") return 3;
  return 4;
}

class limit_reader {
 public:
  explicit limit_reader(std::size_t chunk) : chunk_(chunk), buf_(2 * chunk + simdjson::SIMDJSON_PADDING) {}

  void run(std::FILE* f, counts& c) {
    std::size_t have = 0;
    for (;;) {
      if (buf_.size() < have + chunk_ + simdjson::SIMDJSON_PADDING) buf_.resize(2 * (have + chunk_) + simdjson::SIMDJSON_PADDING);
      auto n = std::fread(buf_.data() + have, 1, chunk_, f);
      if (n == 0) break;
      c.bytes += n;
      have += n;
      have = lines(have, c);
    }
  }

 private:
  // Handles every complete line in buf_[0, have); moves the incomplete tail to the front.
  std::size_t lines(std::size_t have, counts& c) {
    const char* p = buf_.data();
    const char* end = p + have;
    while (const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) {
      line(p, static_cast<std::size_t>(nl - p), c);
      p = nl + 1;
    }
    auto tail = static_cast<std::size_t>(end - p);
    std::memmove(buf_.data(), p, tail);
    return tail;
  }

  void line(const char* p, std::size_t n, counts& c) {
    if (n && p[n - 1] == '\r') --n;
    if (n < 5 || std::memcmp(p, "data:", 5) != 0) return;
    p += 5;
    n -= 5;
    if (n && *p == ' ') ++p, --n;
    if (n <= 2) {  // `data:` or `data: {}`: a keep-alive
      ++c.keepalives;
      return;
    }
    // The rest of the buffer follows the line, so the padding simdjson reads past it is there.
    auto room = static_cast<std::size_t>(buf_.data() + buf_.size() - p);
    auto doc = parser_.iterate(simdjson::padded_string_view(p, n, room));
    std::string_view type, id;
    if (doc["eventType"].get_string().get(type) || doc["conversationId"].get_string().get(id)) {
      ++c.errors;
      return;
    }
    ++c.events;
    ++c.by_type[type_index(type)];
    c.id_bytes += id.size();
  }

  std::size_t chunk_;
  std::vector<char> buf_;
  simdjson::ondemand::parser parser_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"SSE ingest limit: memchr line split + simdjson On-Demand of eventType and conversationId"};
  std::string file;
  std::size_t chunk = 64 * 1024;
  bool as_json = false;
  app.add_option("--file", file, "SSE file (e.g. the Node peer's data/events.sse)")->required();
  app.add_option("--chunk-bytes", chunk, "read size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_flag("--json", as_json, "one JSON object");
  CLI11_PARSE(app, argc, argv);
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) {
    std::cerr << "limit: cannot open " << file << ": " << std::strerror(errno) << '\n';
    return 2;
  }
  counts c;
  limit_reader reader(chunk);
  auto cpu0 = std::clock();
  auto t0 = steady_clock::now();
  reader.run(f, c);
  double seconds = duration<double>(steady_clock::now() - t0).count();
  double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  std::fclose(f);
  double eps = static_cast<double>(c.events) / seconds, mbps = static_cast<double>(c.bytes) / 1e6 / seconds;
  double cpu_per_m = c.events ? cpu / static_cast<double>(c.events) * 1e6 : 0;
  double rss = static_cast<double>(grm::bench::peak_rss_bytes()) / 1e6;
  if (as_json) {
    boost::json::object o{{"bench", "limit"}, {"bytes", c.bytes}, {"events", c.events}, {"keepalives", c.keepalives},
                          {"errors", c.errors}, {"seconds", seconds}, {"events_per_s", eps}, {"mb_per_s", mbps},
                          {"cpu_s_per_m_events", cpu_per_m}, {"peak_rss_mb", rss}};
    std::cout << boost::json::serialize(o) << '\n';
  } else {
    std::cout << fmt::format("limit: {} events ({} keep-alives, {} unreadable) in {:.3f} s: {:.0f} events/s, {:.1f} MB/s, "
                             "{:.2f} CPU s per M events, peak RSS {:.1f} MB\n",
                             c.events, c.keepalives, c.errors, seconds, eps, mbps, cpu_per_m, rss);
  }
  return c.errors ? 1 : 0;
}
