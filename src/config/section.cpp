#include "config/section.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace grm::config {

void problem_list::add(std::string message) {
  if (std::find(all_.begin(), all_.end(), message) == all_.end()) all_.push_back(std::move(message));
}

std::vector<std::string> problem_list::sorted() const {
  auto line_of = [](const std::string& m) -> long {
    // "file:LINE: ..." (a file name may itself hold colons; the line is the first all-digit field)
    for (std::size_t i = m.find(':'); i != std::string::npos; i = m.find(':', i + 1)) {
      std::size_t j = i + 1, k = j;
      while (k < m.size() && std::isdigit(static_cast<unsigned char>(m[k]))) ++k;
      if (k > j && k < m.size() && m[k] == ':') return std::stol(m.substr(j, k - j));
    }
    return std::numeric_limits<long>::max();
  };
  auto out = all_;
  std::stable_sort(out.begin(), out.end(), [&](auto& a, auto& b) { return line_of(a) < line_of(b); });
  return out;
}

section::section(std::shared_ptr<const void> keep, const toml::table* t, std::string name, std::string source,
                 std::shared_ptr<problem_list> problems)
    : keep_(std::move(keep)), problems_(std::move(problems)), origin_(t), present_(t != nullptr), name_(std::move(name)), source_(std::move(source)) {
  if (t)
    for (auto& [k, v] : *t) entries_.push_back({std::string(k.str()), &v, {}});
}

const toml::node* section::node(std::string_view key) const {
  for (auto& e : entries_)
    if (e.key == key) return e.node;
  return nullptr;
}

std::string section::qualified(std::string_view key) const {
  for (auto& e : entries_)
    if (e.key == key && !e.shown.empty()) return e.shown;
  return name_.empty() ? std::string(key) : name_ + "." + std::string(key);
}

std::vector<std::string> section::keys() const {
  std::vector<std::string> out;
  for (auto& e : entries_) out.push_back(e.key);
  return out;
}

std::string section::where(std::string_view key) const {
  const toml::node* n = key.empty() ? origin_ : node(key);
  if (n && n->source().begin.line > 0) return source_ + ":" + std::to_string(n->source().begin.line) + ": ";
  return source_ + ": ";
}

void section::fail(std::string_view key, const std::string& message) const {
  throw relay_error(error_kind::config, where(key) + message);
}

void section::report(std::string_view key, const std::string& message) const {
  if (!problems_) fail(key, message);
  problems_->add(where(key) + message);
}

void section::reject_unknown(std::initializer_list<std::string_view> known) const {
  reject_unknown(std::vector<std::string_view>(known));
}

void section::reject_unknown(const std::vector<std::string_view>& known) const {
  for (auto& e : entries_)
    if (std::find(known.begin(), known.end(), e.key) == known.end()) report(e.key, "unknown key '" + qualified(e.key) + "'");
}

std::optional<std::string> section::string(std::string_view key) const {
  auto* n = node(key);
  if (!n) return std::nullopt;
  if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
  report(key, "'" + qualified(key) + "' must be a string");
  return std::nullopt;
}

std::optional<grm::secret> section::secret_value(std::string_view key, std::optional<std::string> (*env)(const char*)) const {
  auto v = string(key);
  if (!v) return std::nullopt;
  if (v->starts_with("${") && v->ends_with("}") && v->size() > 3) {
    auto name = v->substr(2, v->size() - 3);
    register_secret_variable(name);
    auto value = env(name.c_str());
    if (!value || value->empty()) {
      report(key, qualified(key) + " = \"${" + name + "}\", but " + name + " is not set in the environment");
      return std::nullopt;
    }
    return grm::secret(std::move(*value));
  }
  std::string path;
  if (v->starts_with("file:")) path = v->substr(5);
  if (v->starts_with("credential:")) {  // systemd's LoadCredential=NAME:... puts it in $CREDENTIALS_DIRECTORY/NAME
    auto name = v->substr(11);
    auto dir = env("CREDENTIALS_DIRECTORY");
    if (name.empty() || name.find('/') != std::string::npos) {
      report(key, qualified(key) + " = \"" + *v + "\": a credential name is one file name (LoadCredential=NAME:/path)");
      return std::nullopt;
    }
    if (!dir) {
      report(key, qualified(key) + " = \"" + *v + "\" reads $CREDENTIALS_DIRECTORY/" + name +
                      ", but CREDENTIALS_DIRECTORY is not set (systemd sets it for a unit with LoadCredential=" + name + ":...)");
      return std::nullopt;
    }
    path = *dir + "/" + name;
  }
  if (path.empty()) return grm::secret(std::move(*v));
  if (!problems_) return secret_file(key, path);
  try {
    return secret_file(key, path);
  } catch (const relay_error& e) {
    problems_->add(e.what());
    return std::nullopt;
  }
}

std::optional<grm::secret> section::secret_reference(std::string_view key, std::optional<std::string> (*env)(const char*)) const {
  auto v = string(key);
  if (!v) return std::nullopt;
  if ((v->starts_with("${") && v->ends_with("}")) || v->starts_with("file:") || v->starts_with("credential:"))
    return secret_value(key, env);
  report(key, qualified(key) + " must be a reference, \"${NAME}\" (an environment variable), \"file:/path\" or "
                               "\"credential:NAME\" (systemd), so that no secret sits in the config file");
  return std::nullopt;
}

grm::secret section::secret_file(std::string_view key, const std::string& path) const {
  auto s = read_secret_file(path);
  if (!s) fail(key, qualified(key) + ": cannot read '" + path + "'");
  if (s->empty()) fail(key, qualified(key) + ": '" + path + "' is empty");
  return std::move(*s);
}

std::optional<bool> section::boolean(std::string_view key) const {
  auto* n = node(key);
  if (!n) return std::nullopt;
  if (n->is_boolean()) return *n->value<bool>();
  report(key, "'" + qualified(key) + "' must be a boolean");
  return std::nullopt;
}

std::optional<std::int64_t> section::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  auto* n = node(key);
  if (!n) return std::nullopt;
  std::string problem;
  auto v = n->is_integer() ? *n->value<std::int64_t>() : 0;
  if (!n->is_integer()) problem = "'" + qualified(key) + (n->is_floating_point() ? "' must be a whole number" : "' must be a number");
  else if (v < min || v > max)
    problem = max == std::numeric_limits<std::int64_t>::max()
                  ? "'" + qualified(key) + "' must be at least " + std::to_string(min)
                  : fmt::format("'{}' must be between {} and {} (it is {})", qualified(key), min, max, v);
  if (problem.empty()) return v;
  report(key, problem);
  return std::nullopt;
}

std::optional<double> section::number(std::string_view key, double min, double max) const {
  auto* n = node(key);
  if (!n) return std::nullopt;
  if (!n->is_floating_point() && !n->is_integer()) {
    report(key, "'" + qualified(key) + "' must be a number");
    return std::nullopt;
  }
  auto v = *n->value<double>();
  if (v >= min && v <= max) return v;
  report(key, fmt::format("'{}' must be between {} and {}", qualified(key), min, max));
  return std::nullopt;
}

std::vector<std::string> section::strings(std::string_view key) const {
  std::vector<std::string> out;
  auto* n = node(key);
  if (!n) return out;
  auto* arr = n->as_array();
  if (!arr) {
    report(key, "'" + qualified(key) + "' must be an array of strings");
    return out;
  }
  for (auto& e : *arr) {
    auto v = e.value<std::string>();
    if (!v || !e.is_string()) {
      report(key, "'" + qualified(key) + "' must contain only strings");
      return {};
    }
    out.push_back(*v);
  }
  return out;
}

std::optional<std::string> section::choice(std::string_view key, std::initializer_list<std::string_view> allowed) const {
  auto v = string(key);
  if (!v) return v;
  std::string list;
  for (auto a : allowed) {
    if (*v == a) return v;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  report(key, qualified(key) + ": '" + *v + "' is not one of " + list);
  return std::nullopt;
}

section section::table(std::string_view key) const {
  auto* n = node(key);
  if (n && !n->is_table()) report(key, "'" + qualified(key) + "' must be a table");
  return section(keep_, n ? n->as_table() : nullptr, qualified(key), source_, problems_);
}

section section::only(std::initializer_list<std::string_view> keys) const {
  section s = *this;
  std::erase_if(s.entries_, [&](auto& e) { return std::find(keys.begin(), keys.end(), e.key) == keys.end(); });
  return s;
}

section section::renamed(std::string name) const {
  section s = *this;
  s.name_ = std::move(name);
  return s;
}

// Each value lives in a table of its own that copies of the section share and nobody changes.
section& section::put(std::string_view key, toml::table holder) {
  auto owned = std::make_shared<const toml::table>(std::move(holder));
  const toml::node* n = owned->get(key);
  owned_.push_back(std::move(owned));
  return put_node(key, n, {});
}

section& section::put_node(std::string_view key, const toml::node* n, std::string shown) {
  present_ = true;
  for (auto& e : entries_)
    if (e.key == key) {
      e.node = n;
      e.shown = std::move(shown);
      return *this;
    }
  entries_.push_back({std::string(key), n, std::move(shown)});
  return *this;
}

section& section::take(const section& from, std::string_view key, std::string_view as) {
  auto* n = from.node(key);
  if (!n) return *this;
  keep_from_.push_back(from.keep_);
  for (auto& o : from.owned_) owned_.push_back(o);
  return put_node(as, n, from.qualified(key));
}

section& section::set(std::string_view key, std::string value) {
  toml::table t;
  t.insert_or_assign(key, std::move(value));
  return put(key, std::move(t));
}

section& section::set(std::string_view key, const std::vector<std::string>& values) {
  toml::array a;
  for (auto& v : values) a.push_back(v);
  toml::table t;
  t.insert_or_assign(key, std::move(a));
  return put(key, std::move(t));
}

section& section::set(std::string_view key, bool value) {
  toml::table t;
  t.insert_or_assign(key, value);
  return put(key, std::move(t));
}

}  // namespace grm::config
