#include "observability/scrape.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace grm::metrics {

namespace {

bool name_char(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

std::optional<double> parse_value(std::string_view v) {
  if (v == "+Inf" || v == "Inf") return std::numeric_limits<double>::infinity();
  if (v == "-Inf") return -std::numeric_limits<double>::infinity();
  if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
  double d = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc{} || end != v.data() + v.size()) return std::nullopt;
  return d;
}

// `{a="x",b="y\"z"}` at the start of `rest`; advances past it.
bool parse_labels(std::string_view& rest, std::vector<std::pair<std::string, std::string>>& out) {
  rest.remove_prefix(1);  // '{'
  for (;;) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) return false;
    if (rest.front() == '}') {
      rest.remove_prefix(1);
      return true;
    }
    std::size_t n = 0;
    while (n < rest.size() && name_char(rest[n], n == 0)) ++n;
    if (n == 0 || n + 1 >= rest.size() || rest[n] != '=' || rest[n + 1] != '"') return false;
    std::string key(rest.substr(0, n)), value;
    rest.remove_prefix(n + 2);
    for (;;) {
      if (rest.empty()) return false;
      char c = rest.front();
      rest.remove_prefix(1);
      if (c == '"') break;
      if (c == '\\') {
        if (rest.empty()) return false;
        char e = rest.front();
        rest.remove_prefix(1);
        value += e == 'n' ? '\n' : e;
      } else {
        value += c;
      }
    }
    out.emplace_back(std::move(key), std::move(value));
  }
}

std::optional<sample> parse_sample(std::string_view line) {
  sample s;
  std::size_t n = 0;
  while (n < line.size() && name_char(line[n], n == 0)) ++n;
  if (n == 0) return std::nullopt;
  s.name = std::string(line.substr(0, n));
  auto rest = line.substr(n);
  if (!rest.empty() && rest.front() == '{' && !parse_labels(rest, s.labels)) return std::nullopt;
  if (rest.empty() || rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto value = rest.substr(0, rest.find(' '));  // a timestamp may follow
  auto v = parse_value(value);
  if (!v) return std::nullopt;
  s.value = *v;
  return s;
}

bool matches(const sample& s, const std::vector<std::pair<std::string, std::string>>& match) {
  return std::all_of(match.begin(), match.end(), [&](auto& m) {
    auto* v = s.label(m.first);
    return v && *v == m.second;
  });
}

}  // namespace

const std::string* sample::label(std::string_view key) const {
  for (auto& [k, v] : labels)
    if (k == key) return &v;
  return nullptr;
}

scrape parse_scrape(std::string_view text) {
  scrape out;
  while (!text.empty()) {
    auto eol = text.find('\n');
    auto line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (line.starts_with("# TYPE ")) {
        auto rest = line.substr(7);
        auto sp = rest.find(' ');
        if (sp != std::string_view::npos) out.types[std::string(rest.substr(0, sp))] = std::string(rest.substr(sp + 1));
      }
      continue;
    }
    if (auto s = parse_sample(line)) out.samples.push_back(std::move(*s));
    else ++out.malformed;
  }
  return out;
}

double scrape::sum(std::string_view name, const std::vector<std::pair<std::string, std::string>>& match) const {
  double total = 0;
  for (auto& s : samples)
    if (s.name == name && matches(s, match) && !std::isnan(s.value)) total += s.value;
  return total;
}

bool scrape::has(std::string_view name) const {
  return std::any_of(samples.begin(), samples.end(), [&](auto& s) { return s.name == name; });
}

std::vector<std::string> scrape::label_values(std::string_view name, std::string_view key) const {
  std::vector<std::string> out;
  for (auto& s : samples)
    if (s.name == name)
      if (auto* v = s.label(key); v && std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(*v);
  return out;
}

std::vector<std::pair<double, double>> scrape::buckets(std::string_view family,
                                                       const std::vector<std::pair<std::string, std::string>>& match) const {
  std::map<double, double> by_bound;
  auto name = std::string(family) + "_bucket";
  for (auto& s : samples) {
    if (s.name != name || !matches(s, match)) continue;
    auto* le = s.label("le");
    if (!le) continue;
    if (auto bound = parse_value(*le); bound && !std::isnan(*bound) && !std::isnan(s.value)) by_bound[*bound] += s.value;
  }
  return {by_bound.begin(), by_bound.end()};
}

std::optional<double> quantile(double q, const std::vector<std::pair<double, double>>& cumulative) {
  if (cumulative.empty() || !(q >= 0 && q <= 1)) return std::nullopt;
  double total = cumulative.back().second;
  if (!(total > 0)) return std::nullopt;
  double rank = q * total, lower_bound = 0, lower_count = 0;
  for (auto [bound, count] : cumulative) {
    if (count >= rank) {
      if (std::isinf(bound)) return lower_bound;  // beyond the largest finite bound
      if (count == lower_count) return bound;
      return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count);
    }
    if (!std::isinf(bound)) lower_bound = bound;
    lower_count = count;
  }
  return lower_bound;
}

std::vector<std::pair<double, double>> bucket_delta(const std::vector<std::pair<double, double>>& now,
                                                    const std::vector<std::pair<double, double>>& before) {
  if (now.size() != before.size()) return now;
  std::vector<std::pair<double, double>> out;
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (now[i].first != before[i].first || now[i].second < before[i].second) return now;
    out.emplace_back(now[i].first, now[i].second - before[i].second);
  }
  return out;
}

}  // namespace grm::metrics
