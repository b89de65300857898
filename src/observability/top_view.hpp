#pragma once
// The live view of a running relay (`genesys-relay top`, and the demo's screen), like `vector top`:
// one frame of text from two scrapes a known interval apart — events/s per kind, conversations
// tracked, stream state, forwards by outcome, per-sink delivered/retries/dead and breaker, the
// outbox, p50/p99 latencies over the interval. A pure function: `top` fetches, the demo renders
// its own registry, tests and the fuzz target call it directly.
#include <string>

#include "observability/scrape.hpp"

namespace grm::metrics {

struct top_frame_input {
  std::string title;        // "http://127.0.0.1:9464" or "demo"
  const scrape* before = nullptr;  // the previous scrape (null: rates are not known yet)
  const scrape* now = nullptr;
  double interval_s = 1;    // between the two scrapes
  std::string status;       // a line under the title ("cannot reach ...: ..."), may be empty
  bool quit_key = true;     // the title says "q quits" (top does; the demo ends by itself)
  bool whole_run = false;   // rates are averages since the start (the demo's last frame)
};

std::string render_top_frame(const top_frame_input& in);

}  // namespace grm::metrics
