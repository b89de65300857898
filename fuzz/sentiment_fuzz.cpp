// The sentiment documents Genesys sends us (analytics pages, conversations, Speech & Text
// Analytics scores, transcripts) and the payload validator's input. Parsers may refuse input with
// relay_error; they must never crash, hang or read out of bounds. Whatever numbers come out of a
// document, the payload built from them is schema-valid or the decision says why not.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <regex>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "genesys/sentiment_documents.hpp"
#include "pipeline/sentiment/schema_formats.hpp"
#include "pipeline/sentiment/sentiment.hpp"

namespace {

constexpr const char* kId = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";  // a conversation id as Genesys sends them

const grm::sentiment::payload_validator& validator() {
  static const grm::sentiment::payload_validator v;
  return v;
}

// Any snapshot the documents can yield must give a valid payload unless decide() refuses it.
void payload_property(const grm::sentiment::snapshot& s) {
  auto d = grm::sentiment::decide(s, 0.75);
  if (d.what == grm::sentiment::decision::outcome::invalid) return;
  auto payload = grm::sentiment::build_payload(
      s, {0.8, "8d3c3c1e-6a4f-4b7e-9a0c-0305e82c3301", std::chrono::sys_time<std::chrono::milliseconds>{}});
  if (auto err = validator().validate(payload)) {
    std::fprintf(stderr, "invalid payload %s: %s\n", payload.c_str(), err->c_str());
    __builtin_trap();  // a forwardable snapshot gave an invalid payload
  }
}

// The RFC 3339 date-time check against the regular expression valijson 1.0 uses (compiled once
// here; its `[\\+|\\-]` also admitted '|', which RFC 3339 does not) and valijson's day rule.
void date_time_property(std::string_view in) {
  static const std::regex re(
      "^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)"
      "(\\.[0-9]+)?(([Zz])|([+-]([01][0-9]|2[0-3]):[0-5][0-9]))$");
  if (in.size() > 64) return;  // std::regex recursion grows with the input
  std::string text(in);
  std::smatch m;
  bool expected = std::regex_match(text, m, re);
  if (expected) {
    int month = std::stoi(m[2].str()), day = std::stoi(m[3].str());
    bool thirty = month <= 7 ? month % 2 == 0 : month % 2 != 0;
    expected = month == 2 ? day <= 29 : day <= (thirty ? 30 : 31);
  }
  if (grm::sentiment::is_rfc3339_date_time(in) != expected) {
    std::fprintf(stderr, "date-time disagrees on \"%s\"\n", text.c_str());
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  auto selector = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  namespace g = grm::genesys;
  namespace s = grm::sentiment;
  try {
    switch (selector % 8) {
      case 0:
        if (auto page = g::parse_analytics_page(in); page.metrics) {
          auto& m = *page.metrics;
          payload_property(s::from_analytics(kId, m.overall, m.positive, m.neutral, m.negative));
        }
        break;
      case 1: (void)g::parse_customer(in); break;
      case 2: {
        auto score = g::parse_sta_score(in);
        std::vector<double> phrases{-1, 0, 1};
        if (score) payload_property(s::from_speech_analytics(kId, *score, phrases, 0.25));
        break;
      }
      case 3: {
        auto phrases = g::parse_customer_phrase_sentiment(in);
        payload_property(s::from_speech_analytics(kId, -0.5, phrases, 0.25));
        break;
      }
      case 4: (void)validator().validate(in); break;
      case 6: (void)g::parse_details_page(in); break;
      case 7: date_time_property(in); break;
      case 5: {  // raw doubles straight into the snapshot builders
        double v[5] = {};
        std::memcpy(v, in.data(), std::min(in.size(), sizeof v));
        payload_property(s::from_analytics(kId, v[0], v[1], v[2], v[3]));
        std::vector<double> phrases(v, v + 5);
        payload_property(s::from_speech_analytics(kId, v[4], phrases, 0.25));
        break;
      }
    }
  } catch (const grm::relay_error&) {
    // refusing bad input is the expected outcome
  }
  return 0;
}
