#include "net/sse_parser.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>

namespace grm::net {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

bool in_range(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

// Length of a valid sequence starting at s[0], or the length of the maximal subpart to replace
// (negative) when invalid.
int utf8_sequence(std::string_view s) {
  auto b = static_cast<unsigned char>(s[0]);
  if (b < 0x80) return 1;
  int len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (in_range(b, 0xC2, 0xDF)) {
    len = 2;
  } else if (in_range(b, 0xE0, 0xEF)) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (in_range(b, 0xF0, 0xF4)) {
    len = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return -1;
  }
  for (int i = 1; i < len; ++i) {
    if (static_cast<std::size_t>(i) >= s.size()) return -i;
    auto c = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    if (!in_range(c, lo, hi)) return -i;
    lo = 0x80;
    hi = 0xBF;
  }
  return len;
}

}  // namespace

std::string_view repair_utf8(std::string_view in, std::string& scratch) {
  if (simdjson::validate_utf8(in.data(), in.size())) return in;
  scratch.clear();
  scratch.reserve(in.size() + 8);
  while (!in.empty()) {
    int n = utf8_sequence(in);
    if (n > 0) {
      scratch.append(in.substr(0, static_cast<std::size_t>(n)));
      in.remove_prefix(static_cast<std::size_t>(n));
    } else {
      scratch.append(kReplacement);
      in.remove_prefix(static_cast<std::size_t>(-n));
    }
  }
  return scratch;
}

sse_parser::sse_parser(sse_callbacks callbacks, std::size_t max_event_bytes)
    : callbacks_(std::move(callbacks)), max_event_bytes_(max_event_bytes) {}

void sse_parser::feed(std::string_view bytes) {
  if (!bom_checked_) {
    // The BOM may itself arrive split across chunks: hold up to three bytes until we know.
    while (!bytes.empty() && bom_probe_.size() < kBom.size()) {
      bom_probe_.push_back(bytes.front());
      bytes.remove_prefix(1);
      if (!kBom.starts_with(bom_probe_)) break;
    }
    if (bom_probe_ == kBom) {
      bom_checked_ = true;
    } else if (!kBom.starts_with(bom_probe_)) {
      bom_checked_ = true;
      std::string held;
      held.swap(bom_probe_);
      feed_body(held);
    } else {
      return;  // still a possible BOM prefix
    }
    bom_probe_.clear();
  }
  feed_body(bytes);
}

void sse_parser::feed_body(std::string_view bytes) {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  if (after_cr_ && p != end) {
    after_cr_ = false;
    if (*p == '\n') ++p;
  }
  while (p != end) {
    auto rest = static_cast<std::size_t>(end - p);
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', rest));
    std::size_t scan = lf ? static_cast<std::size_t>(lf - p) : rest;
    const char* cr = static_cast<const char*>(std::memchr(p, '\r', scan));
    const char* eol = cr ? cr : lf;
    if (!eol) {
      append_line_bytes(std::string_view(p, rest));
      return;
    }
    std::string_view piece(p, static_cast<std::size_t>(eol - p));
    // Zero-copy fast path; an over-long line takes the buffered path so the limit applies the
    // same way whatever the chunking.
    if (line_.empty() && !line_oversized_ && piece.size() <= max_event_bytes_) {
      process_line(piece);
    } else {
      append_line_bytes(piece);
      if (!line_oversized_) process_line(line_);
      line_.clear();
    }
    line_oversized_ = false;
    p = eol + 1;
    if (*eol == '\r') {
      if (p == end) {
        after_cr_ = true;
      } else if (*p == '\n') {
        ++p;
      }
    }
  }
}

void sse_parser::append_line_bytes(std::string_view bytes) {
  if (line_oversized_) return;
  if (line_.size() + bytes.size() > max_event_bytes_) {
    line_oversized_ = true;
    line_.clear();
    if (!oversized_) {
      oversized_ = true;
      if (callbacks_.on_error)
        callbacks_.on_error("event line exceeds the limit of " + std::to_string(max_event_bytes_) +
                            " bytes; the event is dropped");
    }
    return;
  }
  line_.append(bytes);
}

void sse_parser::process_line(std::string_view raw) {
  if (raw.empty()) {
    dispatch();
    return;
  }
  if (raw.front() == ':') return;  // comment
  std::string_view line = repair_utf8(raw, decoded_);
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    process_field(line, {});
    return;
  }
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  process_field(line.substr(0, colon), value);
}

void sse_parser::process_field(std::string_view field, std::string_view value) {
  if (field == "data") {
    if (oversized_) return;
    if (data_.size() + value.size() + 1 > max_event_bytes_) {
      oversized_ = true;
      data_.clear();
      if (callbacks_.on_error)
        callbacks_.on_error("event data exceeds the limit of " + std::to_string(max_event_bytes_) +
                            " bytes; the event is dropped");
      return;
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    event_type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  } else if (field == "retry") {
    if (value.empty()) return;
    for (char c : value)
      if (c < '0' || c > '9') return;
    std::uint64_t ms = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (r.ec == std::errc::result_out_of_range) ms = UINT64_MAX;
    if (callbacks_.on_retry) callbacks_.on_retry(ms);
  }
}

void sse_parser::dispatch() {
  if (oversized_) {
    oversized_ = false;
    data_.clear();
    event_type_.clear();
    return;
  }
  if (data_.empty()) {
    event_type_.clear();
    return;
  }
  data_.pop_back();  // the LF after the last data line
  sse_event ev{event_type_.empty() ? std::string_view("message") : std::string_view(event_type_),
               data_, last_event_id_};
  if (callbacks_.on_event) callbacks_.on_event(ev);
  data_.clear();
  event_type_.clear();
}

void sse_parser::end_of_stream() {
  line_.clear();
  data_.clear();
  event_type_.clear();
  bom_probe_.clear();
  bom_checked_ = false;
  after_cr_ = false;
  oversized_ = false;
  line_oversized_ = false;
}

}  // namespace grm::net
