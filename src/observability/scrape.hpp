#pragma once
// Reading a /metrics answer back (the Prometheus text format 0.0.4), for `genesys-relay top` and
// the demo's live view: samples with their labels, the declared types, and how many lines could
// not be read (skipped, never fatal: a view of a newer relay still shows what it knows).
// Asio-free and allocation-light; fuzzed (fuzz/metrics_fuzz.cpp).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grm::metrics {

struct sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the order they came
  double value = 0;

  const std::string* label(std::string_view key) const;
};

struct scrape {
  std::vector<sample> samples;
  std::map<std::string, std::string, std::less<>> types;  // family → counter, gauge, histogram, ...
  std::size_t malformed = 0;

  // The sum over samples named `name` whose labels include every `match` pair (empty: all).
  double sum(std::string_view name, const std::vector<std::pair<std::string, std::string>>& match = {}) const;
  bool has(std::string_view name) const;
  // The distinct values of label `key` among samples named `name`, in first-seen order.
  std::vector<std::string> label_values(std::string_view name, std::string_view key) const;
  // Cumulative buckets of histogram `family` (the `<family>_bucket` samples) matching `match`,
  // ascending by `le`, +Inf last; summed across other labels.
  std::vector<std::pair<double, double>> buckets(std::string_view family,
                                                 const std::vector<std::pair<std::string, std::string>>& match = {}) const;
};

scrape parse_scrape(std::string_view text);

// Prometheus's histogram_quantile over cumulative buckets (linear within a bucket; the +Inf
// bucket answers the largest finite bound). No observations: nullopt.
std::optional<double> quantile(double q, const std::vector<std::pair<double, double>>& cumulative);
// now − before, bucket by bucket (a restarted relay, whose counters went down, gives `now`).
std::vector<std::pair<double, double>> bucket_delta(const std::vector<std::pair<double, double>>& now,
                                                    const std::vector<std::pair<double, double>>& before);

}  // namespace grm::metrics
