// Prints the one table of ./scripts/bench from the JSON each tool wrote into RUN_DIR:
//   <workload>.<side>.<run>.json   one JSON object (side: us, peer, limit)
//   steps.<run>.json               Google Benchmark's JSON (--benchmark_format=json)
// Each figure is the median over the runs of that figure alone. A missing file is "—" (the peer
// was not given, or a tool failed, which scripts/bench reports above the table).
//   bench_table --dir RUN_DIR [--markdown] [--plot-data FILE]
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Every run's object for one workload and side.
std::vector<json::object> load(const fs::path& dir, const std::string& prefix) {
  std::vector<json::object> out;
  if (!fs::exists(dir)) return out;
  for (auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (!name.starts_with(prefix + ".") || !name.ends_with(".json")) continue;
    // One object per file: a tool's JSON line, or Google Benchmark's document over many lines.
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

std::optional<double> number(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  auto m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::optional<double> median_of(const std::vector<json::object>& runs, std::string_view key) {
  std::vector<double> v;
  for (auto& r : runs)
    if (auto x = number(r, key)) v.push_back(*x);
  return median(v);
}

// Google Benchmark rows in the order they ran, each counter's median over the runs.
std::vector<std::pair<std::string, std::map<std::string, double>>> steps(const fs::path& dir) {
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, std::vector<double>>> all;
  for (auto& run : load(dir, "steps"))
    if (auto* list = run.if_contains("benchmarks"))
      for (auto& b : list->as_array()) {
        auto& o = b.as_object();
        auto name = std::string(o.at("name").as_string());
        if (!all.contains(name)) order.push_back(name);
        for (auto& [k, v] : o)
          if (v.is_number()) all[name][std::string(k)].push_back(v.to_number<double>());
      }
  std::vector<std::pair<std::string, std::map<std::string, double>>> out;
  for (auto& name : order) {
    out.emplace_back(name, std::map<std::string, double>{});
    for (auto& [k, v] : all[name]) out.back().second[k] = *median(v);
  }
  return out;
}

std::string si(double v) {
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}
std::string opt(const std::optional<double>& v, const std::string& fmtstr) {
  return v ? fmt::format(fmt::runtime(fmtstr), *v) : "—";
}

enum class verdict { met, missed, unknown };
std::string_view to_string(verdict v) {
  switch (v) {
    case verdict::met: return "met";
    case verdict::missed: return "MISSED";
    case verdict::unknown: return "—";
  }
  return "—";
}
verdict at_least(const std::optional<double>& v, double bound) {
  return !v ? verdict::unknown : *v >= bound ? verdict::met : verdict::missed;
}
verdict at_most(const std::optional<double>& v, double bound) {
  return !v ? verdict::unknown : *v <= bound ? verdict::met : verdict::missed;
}
verdict both(verdict a, verdict b) {
  if (a == verdict::missed || b == verdict::missed) return verdict::missed;
  return a == verdict::met && b == verdict::met ? verdict::met : verdict::unknown;
}

struct row {
  std::string workload, us, peer, ratio, limit, target;
  verdict v = verdict::unknown;
};

std::optional<double> ratio(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b == 0) return std::nullopt;
  return *a / *b;
}

std::vector<row> rows(const fs::path& dir) {
  std::vector<row> out;
  {  // SSE ingest on one file
    auto us = load(dir, "sse.us"), peer = load(dir, "sse.peer"), lim = load(dir, "sse.limit");
    auto u = median_of(us, "events_per_s"), p = median_of(peer, "events_per_s"), l = median_of(lim, "events_per_s");
    auto share = ratio(u, l);
    out.push_back({"SSE ingest, one file (parse, decode, track, route)",
                   u ? fmt::format("{} events/s, {} MB/s", si(*u), opt(median_of(us, "mb_per_s"), "{:.0f}")) : "—",
                   p ? fmt::format("{} events/s, {} MB/s", si(*p), opt(median_of(peer, "mb_per_s"), "{:.0f}")) : "—",
                   opt(ratio(u, p), "{:.1f}×"),
                   l ? fmt::format("{} events/s, {} MB/s (we: {})", si(*l), opt(median_of(lim, "mb_per_s"), "{:.0f}"),
                                   opt(share ? std::optional(*share * 100) : std::nullopt, "{:.0f} %"))
                     : "—",
                   "≥ 70 % of the limit", at_least(share, 0.70)});
  }
  auto st = steps(dir);
  {  // WebSocket frames
    std::optional<double> fps;
    for (auto& [name, c] : st)
      if (name == "BM_WebSocketPipeline") fps = c["events/s"];
    out.push_back({"WebSocket notification frames decoded + tracked + routed, one core", fps ? si(*fps) + " frames/s" : "—", "—", "—",
                   "—", "≥ 2 M frames/s", at_least(fps, 2e6)});
  }
  {  // durable lifecycle events into the canned sink
    auto us = load(dir, "durable.us");
    auto u = median_of(us, "events_per_s");
    out.push_back({"lifecycle events, durable (outbox), batched, signed, into the canned sink",
                   u ? fmt::format("{} events/s, p99 accept→answered {} ms", si(*u), opt(median_of(us, "p99_ms"), "{:.0f}")) : "—",
                   "—", "—", "—", "≥ 100,000 events/s", at_least(u, 1e5)});
  }
  {  // added latency at 10,000 events/s
    auto us = load(dir, "latency.us");
    auto p99 = median_of(us, "to_request_p99_ms");
    out.push_back({"added latency at 10,000 events/s, receipt → request read by the sink (durable; no linger)",
                   p99 ? fmt::format("{} ms p99, {} ms p50 ({} events/s achieved)", opt(p99, "{:.2f}"),
                                     opt(median_of(us, "to_request_p50_ms"), "{:.2f}"), opt(median_of(us, "achieved_per_s"), "{:.0f}"))
                       : "—",
                   "—", "—", "—", "p99 ≤ 2 ms", at_most(p99, 2)});
  }
  for (auto c : {16, 1}) {  // the forwarder, the seed's flow
    auto name = fmt::format("fwd{}", c);
    auto us = load(dir, name + ".us"), peer = load(dir, name + ".peer");
    auto u = median_of(us, "conversations_per_s"), p = median_of(peer, "conversations_per_s");
    auto up99 = median_of(us, "p99_ms");
    auto line = [](const std::vector<json::object>& runs) {
      auto r = median_of(runs, "conversations_per_s");
      return r ? fmt::format("{}/s, p50 {} / p99 {} ms", si(*r), opt(median_of(runs, "p50_ms"), "{:.1f}"),
                             opt(median_of(runs, "p99_ms"), "{:.1f}"))
               : "—";
    };
    row r{fmt::format("sentiment forwarder, the seed's flow, {}", c == 1 ? "one at a time" : "16 in flight"), line(us), line(peer),
          opt(ratio(u, p), "{:.1f}×"), "—", c == 16 ? "≥ 10× the peer, p99 ≤ 10 ms" : "—"};
    if (c == 16) r.v = both(at_least(ratio(u, p), 10), at_most(up99, 10));
    out.push_back(r);
  }
  {  // Genesys calls per conversation, real API flow, continuous, rate-limited
    auto us = load(dir, "calls.us");
    auto u = median_of(us, "genesys_calls_per_conversation");
    out.push_back({"forwarder, real API flow, continuous, rate-limited: Genesys calls per conversation",
                   u ? fmt::format("{:.2f} ({} answered 429)", *u, opt(median_of(us, "rate_limited"), "{:.0f}")) : "—", "—", "—",
                   "—", "≤ 2", at_most(u, 2)});
  }
  {  // memory
    auto idle = median_of(load(dir, "idle.us"), "rss_mb");
    auto tracked = median_of(load(dir, "tracker.us"), "bytes_per_conversation");
    out.push_back({"idle RSS of `genesys-relay monitor`", opt(idle, "{:.1f} MB"), "—", "—", "—", "≤ 30 MB", at_most(idle, 30)});
    out.push_back({"memory per tracked conversation, 100,000 active", opt(tracked, "{:.0f} bytes"), "—", "—", "—", "≤ 1 KB",
                   at_most(tracked, 1024)});
  }
  return out;
}

void print_table(const std::vector<row>& rs, bool markdown) {
  const std::vector<std::string> head{"workload", "genesys-relay", "Node peer", "ratio", "limit (same machine)", "target", ""};
  std::vector<std::vector<std::string>> cells{head};
  for (auto& r : rs) cells.push_back({r.workload, r.us, r.peer, r.ratio, r.limit, r.target, std::string(to_string(r.v))});
  if (markdown) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string line = "|";
      for (auto& c : cells[i]) line += " " + c + " |";
      std::cout << line << '\n';
      if (i == 0) std::cout << "| --- | --- | --- | --- | --- | --- | --- |\n";
    }
    return;
  }
  // Columns sized by characters, not bytes (× and ≥ are multi-byte).
  auto width = [](const std::string& s) {
    std::size_t n = 0;
    for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return n;
  };
  std::vector<std::size_t> w(head.size(), 0);
  for (auto& row : cells)
    for (std::size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], width(row[i]));
  for (auto& row : cells) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += row[i] + std::string(w[i] - width(row[i]) + 2, ' ');
    std::cout << line << '\n';
  }
}

void print_steps(const fs::path& dir, bool markdown) {
  auto st = steps(dir);
  if (st.empty()) return;
  std::cout << (markdown ? "\n| step (steps_bench) | events/s | p50 ns/event | p99 ns/event | CPU s per M events | peak RSS MB |\n"
                           "| --- | --- | --- | --- | --- | --- |\n"
                         : "\nstep (steps_bench)            events/s      p50 ns   p99 ns   CPU s/M events   peak RSS MB\n");
  for (auto& [name, c] : st) {
    auto get = [&](const char* k) { return c.contains(k) ? c.at(k) : 0.0; };
    if (markdown)
      std::cout << fmt::format("| {} | {} | {:.0f} | {:.0f} | {:.3f} | {:.0f} |\n", name, si(get("events/s")), get("p50_ns"),
                               get("p99_ns"), get("cpu_s_per_M"), get("peak_rss_MB"));
    else
      std::cout << fmt::format("{:<28}  {:>10}  {:>8.0f} {:>8.0f}   {:>14.3f}   {:>11.0f}\n", name, si(get("events/s")), get("p50_ns"),
                               get("p99_ns"), get("cpu_s_per_M"), get("peak_rss_MB"));
  }
}

// Offered load against throughput and p99, for gnuplot: `<series> <offered/s> <achieved/s> <p99 ms>`.
void plot_data(const fs::path& dir, const std::string& file) {
  std::ofstream out(file);
  for (auto series : {"fwdload", "durableload"}) {
    std::vector<std::tuple<double, double, double>> points;
    for (auto& r : load(dir, series)) {
      auto offered = number(r, "offered_per_s"), got = number(r, "achieved_per_s"), p99 = number(r, "p99_ms");
      if (offered && got && p99) points.emplace_back(*offered, *got, *p99);
    }
    std::sort(points.begin(), points.end());
    out << "# " << series << "\n";
    for (auto& [o, g, p] : points) out << fmt::format("{:.0f} {:.1f} {:.3f}\n", o, g, p);
    out << "\n\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The table of ./scripts/bench, from the JSON its tools wrote"};
  std::string dir, plot;
  bool markdown = false;
  app.add_option("--dir", dir, "the run directory")->required();
  app.add_flag("--markdown", markdown, "a Markdown table (docs/performance.md)");
  app.add_option("--plot-data", plot, "also write gnuplot data (offered load series) to this file");
  CLI11_PARSE(app, argc, argv);
  print_table(rows(dir), markdown);
  print_steps(dir, markdown);
  if (!plot.empty()) plot_data(dir, plot);
  return 0;
}
