// Arbitrary bytes as a /metrics answer: the scrape parser (genesys-relay top, the demo's view) must
// never crash, hang or read out of bounds, and whatever it reads must render as a frame, also
// against itself split at a point the input chooses (two scrapes, so rates and quantile deltas run).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "observability/scrape.hpp"
#include "observability/top_view.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto split = size == 0 ? 0 : data[0] % (size + 1);
  auto before = grm::metrics::parse_scrape(text.substr(0, split));
  auto now = grm::metrics::parse_scrape(text);
  if (now.samples.size() + now.malformed == 0 && !text.empty() && text.find_first_not_of("\n\r") != std::string_view::npos &&
      text.find('#') == std::string_view::npos)
    std::abort();  // a line that is neither a sample nor a comment must be counted as malformed
  auto frame = grm::metrics::render_top_frame({"fuzz", &before, &now, 1, ""});
  if (frame.empty()) std::abort();
  for (auto& s : now.samples)
    if (s.name.empty()) std::abort();
  auto b = now.buckets("relay_sink_request_seconds");
  (void)grm::metrics::quantile(0.99, grm::metrics::bucket_delta(b, before.buckets("relay_sink_request_seconds")));
  return 0;
}
