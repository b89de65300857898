#pragma once
// Server-Sent Events parser following the WHATWG HTML "event stream interpretation" rules:
// CR, LF and CRLF line ends (also split across chunks), one leading BOM stripped, comments,
// `data` lines joined with "\n", `event`, `id` (ignored when it contains NUL), `retry` (digits
// only), and no dispatch of an event that the stream ends in the middle of. Bytes are decoded as
// UTF-8 with U+FFFD for invalid sequences, per line, so a code point split across chunks is intact.
//
// Memory is bounded: an event whose data grows past max_event_bytes is dropped (reported through
// on_error) and parsing resumes at the next blank line. Not thread-safe; one parser per stream.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace grm::net {

struct sse_event {
  std::string_view type;           // "message" when the stream named none
  std::string_view data;
  std::string_view last_event_id;  // the id in force when the event was dispatched
};

struct sse_callbacks {
  std::function<void(const sse_event&)> on_event;
  std::function<void(std::uint64_t retry_ms)> on_retry;
  std::function<void(std::string_view message)> on_error;
};

class sse_parser final {
 public:
  static constexpr std::size_t default_max_event_bytes = 1u << 20;

  explicit sse_parser(sse_callbacks callbacks,
                      std::size_t max_event_bytes = default_max_event_bytes);

  // Feed the next bytes of the stream; any chunking gives the same events.
  void feed(std::string_view bytes);
  // The stream ended: drop a pending line or event. The last event id survives, as it does for
  // an EventSource that reconnects.
  void end_of_stream();

  const std::string& last_event_id() const noexcept { return last_event_id_; }

 private:
  void feed_body(std::string_view bytes);
  void process_line(std::string_view line);
  void process_field(std::string_view field, std::string_view value);
  void dispatch();
  void append_line_bytes(std::string_view bytes);

  sse_callbacks callbacks_;
  std::size_t max_event_bytes_;
  std::string line_;           // a line not yet terminated
  std::string decoded_;        // scratch for UTF-8 repair
  std::string data_;
  std::string event_type_;
  std::string last_event_id_;
  std::string bom_probe_;      // up to 3 bytes at stream start
  bool bom_checked_ = false;
  bool after_cr_ = false;      // last line ended in CR: a leading LF belongs to it
  bool oversized_ = false;     // dropping the current event until its blank line
  bool line_oversized_ = false;
};

// Replaces each maximal invalid subpart of UTF-8 with U+FFFD (the WHATWG decoder's behaviour).
// Returns `in` itself when it is already valid.
std::string_view repair_utf8(std::string_view in, std::string& scratch);

}  // namespace grm::net
