#pragma once
// The metrics registry: counters and histograms that code updates in place (lock-free), plus
// collectors that report values owned elsewhere (the monitor's counters) at scrape time.
// render() writes the Prometheus text exposition format 0.0.4; names are listed in docs/metrics.md.
// Asio-free, so any module can record without pulling in networking.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace grm::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

class counter final {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class histogram final {
 public:
  explicit histogram(std::vector<double> upper_bounds);  // ascending; +Inf is implied
  void observe(double v) noexcept;
  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  snapshot read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms … 30 s (request/response stages against remote APIs).
std::vector<double> latency_buckets();

// What a collector writes into at scrape time.
class exposition final {
 public:
  void counter(const std::string& name, const std::string& help, const labels& l, double value);
  void gauge(const std::string& name, const std::string& help, const labels& l, double value);
  void histogram(const std::string& name, const std::string& help, const labels& l, const histogram::snapshot& s);
  std::string text() const;

 private:
  struct family {
    std::string name, help, type;
    std::string samples;
  };
  family& of(const std::string& name, const std::string& help, const char* type);
  std::vector<family> families_;
};

class registry final {
 public:
  // Registering the same name and labels twice returns the same metric. References stay valid
  // for the registry's lifetime.
  metrics::counter& counter(const std::string& name, const std::string& help, labels l = {});
  metrics::histogram& histogram(const std::string& name, const std::string& help, labels l = {},
                                std::vector<double> bounds = latency_buckets());
  using collector = std::function<void(exposition&)>;
  void add_collector(collector c);
  std::string render() const;

 private:
  template <typename T>
  struct entry {
    std::string name, help;
    labels l;
    std::unique_ptr<T> metric;
  };
  mutable std::mutex mu_;
  std::vector<entry<metrics::counter>> counters_;
  std::vector<entry<metrics::histogram>> histograms_;
  std::vector<collector> collectors_;
};

}  // namespace grm::metrics
