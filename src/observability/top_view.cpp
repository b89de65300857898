#include "observability/top_view.hpp"

#include <fmt/format.h>

#include <cmath>

namespace grm::metrics {

namespace {

using match = std::vector<std::pair<std::string, std::string>>;

struct frame {
  const top_frame_input& in;
  std::string out;

  const scrape& now() const { return *in.now; }
  double rate(std::string_view name, const match& m = {}) const {
    if (!in.before || !(in.interval_s > 0)) return std::nan("");
    double d = now().sum(name, m) - in.before->sum(name, m);
    return d < 0 ? std::nan("") : d / in.interval_s;  // a restart reset the counters
  }
  // p-quantile of a histogram over the interval when it saw observations, else since start.
  std::string latency(std::string_view family, const match& m, double q) const {
    auto cur = now().buckets(family, m);
    auto window = in.before ? bucket_delta(cur, in.before->buckets(family, m)) : cur;
    auto v = quantile(q, window);
    if (!v) v = quantile(q, cur);
    if (!v) return "-";
    return *v < 1 ? fmt::format("{:.1f} ms", *v * 1000) : fmt::format("{:.2f} s", *v);
  }
  static std::string per_s(double r) { return std::isnan(r) ? "-" : fmt::format("{:.1f}", r); }
  void line(std::string l) { (out += l) += '\n'; }
};

const char* breaker_name(double v) { return v >= 2 ? "OPEN" : v >= 1 ? "half-open" : "closed"; }

}  // namespace

std::string render_top_frame(const top_frame_input& in) {
  frame f{in, {}};
  auto cadence = in.whole_run ? fmt::format("averages over {:.0f} s", in.interval_s) : fmt::format("every {:.0f} s", in.interval_s);
  f.line(fmt::format("genesys-relay top — {}   ({}{})", in.title, cadence, in.quit_key ? "; q quits" : ""));
  if (!in.status.empty()) f.line("  " + in.status);
  if (!in.now) return f.out;
  auto& s = *in.now;

  std::string kinds;
  for (auto k : {"start", "update", "end", "wrapup", "unknown"})
    kinds += fmt::format("  {} {}", k, f.per_s(f.rate("relay_events_routed_total", {{"kind", k}})));
  f.line(fmt::format("events/s{}   total {}   routed {:.0f}", kinds, f.per_s(f.rate("relay_events_routed_total")),
                     s.sum("relay_events_routed_total")));
  auto streams = s.label_values("relay_source_connected", "stream");
  f.line(fmt::format("streams connected {:.0f}/{}   reconnects {:.0f}   stream errors {:.0f}   conversations tracked {:.0f}   "
                     "tokens issued {:.0f}",
                     s.sum("relay_source_connected"), streams.size(), s.sum("relay_source_reconnects_total"),
                     s.sum("relay_stream_errors_total"), s.sum("relay_conversations_tracked"),
                     s.sum("relay_oauth_tokens_issued_total")));
  if (s.has("relay_genesys_ratelimit_headroom"))
    f.line(fmt::format("genesys API   rate-limit headroom {:.0f} of {:.0f}   429s {:.0f}", s.sum("relay_genesys_ratelimit_headroom"),
                       s.sum("relay_genesys_ratelimit_allowed"), s.sum("relay_genesys_rate_limited_total")));

  if (s.has("relay_forwards_total")) {
    std::string outcomes;
    for (auto& o : s.label_values("relay_forwards_total", "outcome"))
      if (double n = s.sum("relay_forwards_total", {{"outcome", o}}); n > 0) outcomes += fmt::format("  {} {:.0f}", o, n);
    f.line(fmt::format("forwards/s {}  {}", f.per_s(f.rate("relay_forwards_total")), outcomes.empty() ? "  (none yet)" : outcomes));
    f.line(fmt::format("forward latency   p50 {}   p99 {}   pending {:.0f}   in flight {:.0f}",
                       f.latency("relay_forward_stage_seconds", {{"stage", "total"}}, 0.5),
                       f.latency("relay_forward_stage_seconds", {{"stage", "total"}}, 0.99), s.sum("relay_forward_pending"),
                       s.sum("relay_forward_in_flight")));
  }
  f.line(fmt::format("outbox   pending {:.0f}   oldest {:.1f} s   accepted {:.0f}", s.sum("relay_outbox_pending"),
                     s.sum("relay_outbox_oldest_age_seconds"), s.sum("relay_outbox_accepted_total")));

  auto sinks = s.label_values("relay_sink_delivered_total", "sink");
  if (sinks.empty()) return f.out;
  f.line("");
  f.line(fmt::format("{:<16}{:>11}{:>9}{:>9}{:>7}{:>11}{:>10}{:>11}{:>11}", "sink", "delivered", "/s", "retries", "dead",
                     "breaker", "in flight", "p50", "p99"));
  for (auto& id : sinks) {
    match m{{"sink", id}};
    f.line(fmt::format("{:<16}{:>11.0f}{:>9}{:>9.0f}{:>7.0f}{:>11}{:>10.0f}{:>11}{:>11}", id.substr(0, 15),
                       s.sum("relay_sink_delivered_total", m), f.per_s(f.rate("relay_sink_delivered_total", m)),
                       s.sum("relay_sink_retries_total", m), s.sum("relay_sink_dead_letters_total", m),
                       breaker_name(s.sum("relay_sink_breaker_state", m)), s.sum("relay_sink_in_flight", m),
                       f.latency("relay_sink_request_seconds", m, 0.5), f.latency("relay_sink_request_seconds", m, 0.99)));
  }
  return f.out;
}

}  // namespace grm::metrics
