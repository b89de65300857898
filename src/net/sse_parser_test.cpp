#include "net/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/sse_dump.hpp"

namespace grm::net {
namespace {

struct collected {
  std::vector<std::string> lines;  // sse-parse output lines
  std::vector<std::string> errors;
};

collected parse_in_chunks(std::string_view input, const std::vector<std::size_t>& sizes,
                          std::size_t limit = sse_parser::default_max_event_bytes) {
  collected out;
  sse_parser parser(
      {[&](const sse_event& e) { out.lines.push_back(sse_event_json(e)); },
       [&](std::uint64_t ms) { out.lines.push_back(sse_retry_json(ms)); },
       [&](std::string_view m) { out.errors.emplace_back(m); }},
      limit);
  std::size_t i = 0, k = 0;
  while (i < input.size()) {
    std::size_t n = sizes.empty() ? input.size() : sizes[k++ % sizes.size()];
    n = std::min(n == 0 ? 1 : n, input.size() - i);
    parser.feed(input.substr(i, n));
    i += n;
  }
  parser.end_of_stream();
  return out;
}

std::vector<std::string> parse(std::string_view input) { return parse_in_chunks(input, {}).lines; }

using lines = std::vector<std::string>;

TEST(SseParser, DispatchesDataOnBlankLineWithDefaultTypeMessage) {
  EXPECT_EQ(parse("data: hello\n\n"), lines{R"({"event":"message","id":"","data":"hello"})"});
}

TEST(SseParser, AcceptsLfCrAndCrlfLineEnds) {
  const lines expected{R"({"event":"message","id":"","data":"a"})",
                       R"({"event":"message","id":"","data":"b"})",
                       R"({"event":"message","id":"","data":"c"})"};
  EXPECT_EQ(parse("data: a\n\ndata: b\r\rdata: c\r\n\r\n"), expected);
}

TEST(SseParser, JoinsMultipleDataLinesWithLineFeed) {
  EXPECT_EQ(parse("data: one\ndata:two\ndata\n\n"),
            lines{R"({"event":"message","id":"","data":"one\ntwo\n"})"});
}

TEST(SseParser, RemovesExactlyOneLeadingSpaceFromValues) {
  EXPECT_EQ(parse("data:  two spaces\n\n"),
            lines{R"({"event":"message","id":"","data":" two spaces"})"});
}

TEST(SseParser, IgnoresCommentsAndUnknownFields) {
  EXPECT_EQ(parse(": keep-alive\nfoo: bar\ndata: x\n\n"),
            lines{R"({"event":"message","id":"","data":"x"})"});
}

TEST(SseParser, UsesEventFieldAsTypeAndResetsItAfterDispatch) {
  EXPECT_EQ(parse("event: update\ndata: 1\n\ndata: 2\n\n"),
            (lines{R"({"event":"update","id":"","data":"1"})",
                   R"({"event":"message","id":"","data":"2"})"}));
}

TEST(SseParser, KeepsLastEventIdAcrossEventsAndIgnoresIdsWithNul) {
  std::string input = "id: 7\ndata: a\n\ndata: b\n\nid: x";
  input += '\0';
  input += "y\ndata: c\n\nid\ndata: d\n\n";
  EXPECT_EQ(parse(input), (lines{R"({"event":"message","id":"7","data":"a"})",
                                 R"({"event":"message","id":"7","data":"b"})",
                                 R"({"event":"message","id":"7","data":"c"})",
                                 R"({"event":"message","id":"","data":"d"})"}));
}

TEST(SseParser, EventWithoutDataIsNotDispatchedButItsIdIsKept) {
  EXPECT_EQ(parse("id: 3\nevent: ping\n\ndata: z\n\n"),
            lines{R"({"event":"message","id":"3","data":"z"})"});
}

TEST(SseParser, ReportsOnlyAllDigitRetryValues) {
  EXPECT_EQ(parse("retry: 1500\nretry: 15x\nretry: -1\nretry:\nretry: 007\n"),
            (lines{R"({"retry":1500})", R"({"retry":7})"}));
}

TEST(SseParser, DoesNotDispatchAnUnterminatedTrailingEvent) {
  EXPECT_EQ(parse("data: done\n\ndata: half"), lines{R"({"event":"message","id":"","data":"done"})"});
  EXPECT_EQ(parse("data: done\n\ndata: half\n"),
            lines{R"({"event":"message","id":"","data":"done"})"});
}

TEST(SseParser, StripsOneLeadingBomOnly) {
  EXPECT_EQ(parse("\xEF\xBB\xBF" "data: a\n\n"), lines{R"({"event":"message","id":"","data":"a"})"});
  // A second BOM is part of the first field name, which is then unknown.
  EXPECT_EQ(parse("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n"),
            lines{R"({"event":"message","id":"","data":"b"})"});
}

TEST(SseParser, ReplacesInvalidUtf8WithReplacementCharacter) {
  EXPECT_EQ(parse("data: a\xFF" "b\n\n"),
            lines{"{\"event\":\"message\",\"id\":\"\",\"data\":\"a\xEF\xBF\xBD" "b\"}"});
  // A truncated 3-byte sequence is one maximal subpart: one U+FFFD.
  EXPECT_EQ(parse("data: \xE2\x82\n\n"),
            lines{"{\"event\":\"message\",\"id\":\"\",\"data\":\"\xEF\xBF\xBD\"}"});
}

TEST(SseParser, KeepsMultibyteCharactersSplitAcrossChunks) {
  std::string input = "data: caf\xC3\xA9 \xF0\x9F\x98\x80\n\n";
  auto whole = parse(input);
  ASSERT_EQ(whole.size(), 1u);
  for (std::size_t n = 1; n <= 4; ++n) EXPECT_EQ(parse_in_chunks(input, {n}).lines, whole) << n;
}

TEST(SseParser, TutorialKeepAlivesAreDispatchedAsEmptyOrBraces) {
  // The keep-alive skip happens above the parser; the parser itself must deliver them faithfully.
  EXPECT_EQ(parse("data: {}\n\ndata:\n\n"), (lines{R"({"event":"message","id":"","data":"{}"})",
                                                   R"({"event":"message","id":"","data":""})"}));
}

TEST(SseParser, DropsAnOversizedEventWithAnErrorAndCarriesOn) {
  std::string big(200, 'x');
  auto out = parse_in_chunks("data: " + big + "\n\ndata: ok\n\n", {7}, 64);
  EXPECT_EQ(out.lines, lines{R"({"event":"message","id":"","data":"ok"})"});
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_NE(out.errors[0].find("exceeds the limit of 64 bytes"), std::string::npos);
}

TEST(SseParser, OversizedAcrossManyDataLinesIsDroppedOnce) {
  std::string input;
  for (int i = 0; i < 20; ++i) input += "data: 0123456789\n";
  input += "\ndata: next\n\n";
  auto out = parse_in_chunks(input, {}, 100);
  EXPECT_EQ(out.lines, lines{R"({"event":"message","id":"","data":"next"})"});
  EXPECT_EQ(out.errors.size(), 1u);
}

// Every way of cutting these streams into chunks yields the same events.
const std::vector<std::string> kStreams = {
    "data: a\r\n\r\ndata: b\r\rid: 1\ndata: c\n\n",
    "\xEF\xBB\xBF" "event: e\ndata: x\r\n\r\n",
    ": c\rretry: 10\r\ndata: \xC3\xA9\r\n\r\n",
};

TEST(SseParser, EveryTwoAndThreeWayChunkingGivesTheSameEvents) {
  for (const auto& s : kStreams) {
    auto expected = parse(s);
    ASSERT_FALSE(expected.empty());
    for (std::size_t i = 1; i < s.size(); ++i) {
      for (std::size_t j = i; j < s.size(); ++j) {
        collected out;
        sse_parser p({[&](const sse_event& e) { out.lines.push_back(sse_event_json(e)); },
                      [&](std::uint64_t ms) { out.lines.push_back(sse_retry_json(ms)); }, {}});
        p.feed(std::string_view(s).substr(0, i));
        p.feed(std::string_view(s).substr(i, j - i));
        p.feed(std::string_view(s).substr(j));
        p.end_of_stream();
        ASSERT_EQ(out.lines, expected) << "cut at " << i << "," << j;
      }
    }
  }
}

TEST(SseParser, EveryChunkingOfAShortStreamGivesTheSameEvents) {
  const std::string s = "id:1\rdata:\xC3\xA9\r\n\r\n";  // 17 bytes: 2^16 chunkings
  auto expected = parse(s);
  ASSERT_EQ(expected.size(), 1u);
  for (std::uint32_t mask = 0; mask < (1u << (s.size() - 1)); ++mask) {
    collected out;
    sse_parser p({[&](const sse_event& e) { out.lines.push_back(sse_event_json(e)); }, {}, {}});
    std::size_t start = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (mask & (1u << (i - 1))) {
        p.feed(std::string_view(s).substr(start, i - start));
        start = i;
      }
    }
    p.feed(std::string_view(s).substr(start));
    ASSERT_EQ(out.lines, expected) << "mask " << mask;
  }
}

TEST(SseParser, EndOfStreamKeepsLastEventIdForTheNextConnection) {
  std::vector<std::string> ids;
  sse_parser p({[&](const sse_event& e) { ids.emplace_back(e.last_event_id); }, {}, {}});
  p.feed("id: 42\ndata: a\n\ndata: partial");
  p.end_of_stream();
  EXPECT_EQ(p.last_event_id(), "42");
  p.feed("data: b\n\n");
  EXPECT_EQ(ids, (std::vector<std::string>{"42", "42"}));
}

}  // namespace
}  // namespace grm::net
