// Arbitrary bytes through every decoder entry point: it must return a value or a decode_error,
// never crash, hang or leak. The same bytes go through safe_excerpt, which shows peer text in
// messages: its output is bounded and free of control characters, whatever the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/text.hpp"

#include "pipeline/decode.hpp"
#include "pipeline/track.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static grm::pipeline::event_decoder decoder(64 * 1024);
  static grm::pipeline::conversation_tracker tracker({.max_active = 64, .max_recently_ended = 64});
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<grm::lifecycle_event> out;
  for (auto d : {decoder.decode_sse_payload(input, "fuzz"), decoder.decode_notification(input),
                 decoder.decode_conversation(input, "fuzz")}) {
    if (auto* snap = std::get_if<grm::pipeline::conversation_snapshot>(&d)) tracker.apply(*snap, out);
    if (auto* ev = std::get_if<grm::lifecycle_event>(&d)) tracker.observe(*ev);
  }
  auto shown = grm::safe_excerpt(input, 1 + size % 200);
  if (shown.size() > 1 + size % 200 + 3) std::abort();  // "…" is 3 bytes
  for (unsigned char c : shown)
    if (c < 0x20 || c == 0x7f) std::abort();
  return 0;
}
