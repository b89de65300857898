// Feeds arbitrary bytes to the SSE parser in chunks chosen by the input itself, and checks that
// chunking never changes what is dispatched.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/sse_parser.hpp"

namespace {

std::vector<std::string> run(std::string_view input, std::size_t chunk) {
  std::vector<std::string> out;
  grm::net::sse_parser p(
      {[&](const grm::net::sse_event& e) {
         out.push_back(std::string(e.type) + '\x1f' + std::string(e.last_event_id) + '\x1f' +
                       std::string(e.data));
       },
       [&](std::uint64_t ms) { out.push_back("retry " + std::to_string(ms)); },
       [&](std::string_view m) { out.push_back("error " + std::string(m)); }},
      512);
  for (std::size_t i = 0; i < input.size(); i += chunk) p.feed(input.substr(i, chunk));
  p.end_of_stream();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = 1 + data[0] % 17;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (run(input, input.size() + 1) != run(input, chunk)) std::abort();
  return 0;
}
