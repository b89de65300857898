#pragma once
// One table of the configuration, read with typed getters whose errors name the file, line and
// key ("relay.toml:12: 'crm.timeout_ms' must be at least 1"). A section is a view: its keys point
// into the parsed file (so they keep their line), and the shorthand reader may add values of its
// own (which have no line) or take a subset of a table's keys. Components parse their own
// settings through it; config/ itself knows no component. After reading, reject_unknown() makes
// every key the component did not expect an error.
#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.hpp"

namespace grm::config {

// What `genesys-relay validate` collects: every problem of a file in one run, each once. A section
// reading for it records a bad value here and answers "absent", so reading goes on; without one
// (running the service) the first problem throws.
class problem_list final {
 public:
  void add(std::string message);
  bool empty() const noexcept { return all_.empty(); }
  // By line ("relay.toml:3: ..." before "relay.toml:12: ..."); problems without a line last.
  std::vector<std::string> sorted() const;

 private:
  std::vector<std::string> all_;
};

class section final {
 public:
  section() = default;  // an absent table: present() is false, every getter finds nothing
  // `keep` keeps the parsed file alive; `t` is a table inside it (null: absent).
  section(std::shared_ptr<const void> keep, const toml::table* t, std::string name, std::string source,
          std::shared_ptr<problem_list> problems = nullptr);

  const std::string& name() const noexcept { return name_; }  // "sinks.crm", "crm"
  const std::string& source() const noexcept { return source_; }
  bool present() const noexcept { return present_; }
  bool has(std::string_view key) const { return node(key) != nullptr; }
  std::vector<std::string> keys() const;

  std::optional<std::string> string(std::string_view key) const;
  // A secret-bearing key: "${NAME}" is the environment variable NAME (registered so child
  // processes do not inherit it), "file:/path" the file's contents less a trailing newline,
  // "credential:NAME" the file $CREDENTIALS_DIRECTORY/NAME (systemd's LoadCredential=), any other
  // string the value itself. Errors name the key and line, never the value.
  std::optional<grm::secret> secret_value(std::string_view key, std::optional<std::string> (*env)(const char*)) const;
  // The secret in the file at `path` (named by `key`), less a trailing newline (what `echo secret >
  // file` leaves); unreadable or empty is an error naming the key and line.
  grm::secret secret_file(std::string_view key, const std::string& path) const;
  // secret_value for keys that never held a literal: only "${NAME}" or "file:/path".
  std::optional<grm::secret> secret_reference(std::string_view key, std::optional<std::string> (*env)(const char*)) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                      std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
  std::optional<double> number(std::string_view key, double min, double max) const;
  std::vector<std::string> strings(std::string_view key) const;  // an array of strings; absent: empty
  // One of `allowed` ("crm.body: 'xml' is not one of envelope, raw" otherwise).
  std::optional<std::string> choice(std::string_view key, std::initializer_list<std::string_view> allowed) const;
  section table(std::string_view key) const;  // a sub-table (absent: present() is false)

  // "relay.toml:12: " for a key the file sets, "relay.toml: " otherwise; no key: the table's line.
  std::string where(std::string_view key = {}) const;
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;  // where(key) + message
  // where(key) + message: recorded when collecting (validate), thrown otherwise. The getters and
  // reject_unknown report this way; a component's own checks may too, where reading can go on.
  void report(std::string_view key, const std::string& message) const;
  const std::shared_ptr<problem_list>& problems() const noexcept { return problems_; }
  void reject_unknown(std::initializer_list<std::string_view> known) const;
  void reject_unknown(const std::vector<std::string_view>& known) const;
  std::string qualified(std::string_view key) const;  // "crm.url"

  // For the shorthand reader: the same view with only these keys, or under another name, or with
  // a value of its own (a value set here has no line; where() names the file only).
  section only(std::initializer_list<std::string_view> keys) const;
  section renamed(std::string name) const;
  section& set(std::string_view key, std::string value);
  section& set(std::string_view key, const std::vector<std::string>& values);
  section& set(std::string_view key, bool value);
  // `key` of `from` as `as` here, keeping its line and its name in messages ("forwarder.state_path").
  section& take(const section& from, std::string_view key, std::string_view as);
  section& take(const section& from, std::string_view key) { return take(from, key, key); }

 private:
  const toml::node* node(std::string_view key) const;
  section& put(std::string_view key, toml::table holder);
  section& put_node(std::string_view key, const toml::node* n, std::string shown);

  std::shared_ptr<const void> keep_;
  std::vector<std::shared_ptr<const void>> keep_from_;  // the files of taken keys
  std::vector<std::shared_ptr<const toml::table>> owned_;  // the values set() added, one table each (copies share them)
  struct entry {
    std::string key;
    const toml::node* node;
    std::string shown;  // the name messages use when it is not name_ + "." + key (a taken key)
  };
  std::vector<entry> entries_;
  std::shared_ptr<problem_list> problems_;  // null: not collecting
  const toml::node* origin_ = nullptr;
  bool present_ = false;
  std::string name_, source_;
};

}  // namespace grm::config
