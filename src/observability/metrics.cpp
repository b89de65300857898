#include "observability/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace grm::metrics {

namespace {

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
std::string label_text(const labels& l, const std::pair<std::string, std::string>* extra = nullptr) {
  if (l.empty() && !extra) return {};
  std::string out = "{";
  auto add = [&](const std::pair<std::string, std::string>& kv) {
    if (out.size() > 1) out += ',';
    out += kv.first;
    out += "=\"";
    for (char c : kv.second) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  };
  for (auto& kv : l) add(kv);
  if (extra) add(*extra);
  out += '}';
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

}  // namespace

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

exposition::family& exposition::of(const std::string& name, const std::string& help, const char* type) {
  for (auto& f : families_)
    if (f.name == name) return f;
  families_.push_back({name, help, type, {}});
  return families_.back();
}

void exposition::counter(const std::string& name, const std::string& help, const labels& l, double value) {
  of(name, help, "counter").samples += name + label_text(l) + ' ' + number(value) + '\n';
}

void exposition::gauge(const std::string& name, const std::string& help, const labels& l, double value) {
  of(name, help, "gauge").samples += name + label_text(l) + ' ' + number(value) + '\n';
}

void exposition::histogram(const std::string& name, const std::string& help, const labels& l,
                           const histogram::snapshot& s) {
  auto& f = of(name, help, "histogram");
  for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
    std::pair<std::string, std::string> le{"le", i < s.bounds.size() ? number(s.bounds[i]) : "+Inf"};
    f.samples += name + "_bucket" + label_text(l, &le) + ' ' + std::to_string(s.cumulative[i]) + '\n';
  }
  f.samples += name + "_sum" + label_text(l) + ' ' + number(s.sum) + '\n';
  f.samples += name + "_count" + label_text(l) + ' ' + std::to_string(s.count) + '\n';
}

std::string exposition::text() const {
  std::string out;
  for (auto& f : families_) {
    out += "# HELP " + f.name + ' ' + f.help + '\n';
    out += "# TYPE " + f.name + ' ' + f.type + '\n';
    out += f.samples;
  }
  return out;
}

counter& registry::counter(const std::string& name, const std::string& help, labels l) {
  std::lock_guard lock(mu_);
  for (auto& e : counters_)
    if (e.name == name && e.l == l) return *e.metric;
  counters_.push_back({name, help, std::move(l), std::make_unique<metrics::counter>()});
  return *counters_.back().metric;
}

histogram& registry::histogram(const std::string& name, const std::string& help, labels l, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  for (auto& e : histograms_)
    if (e.name == name && e.l == l) return *e.metric;
  histograms_.push_back({name, help, std::move(l), std::make_unique<metrics::histogram>(std::move(bounds))});
  return *histograms_.back().metric;
}

void registry::add_collector(collector c) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(c));
}

std::string registry::render() const {
  std::lock_guard lock(mu_);
  exposition x;
  for (auto& e : counters_) x.counter(e.name, e.help, e.l, static_cast<double>(e.metric->value()));
  for (auto& e : histograms_) x.histogram(e.name, e.help, e.l, e.metric->read());
  for (auto& c : collectors_) c(x);
  return x.text();
}

}  // namespace grm::metrics
