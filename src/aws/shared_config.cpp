#include "aws/shared_config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace grm::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_line(std::string_view path, int line, const std::string& why) {
  throw relay_error(error_kind::config, std::string(path) + ":" + std::to_string(line) + ": " + why);
}

}  // namespace

const std::string* ini_section::get(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() || it->second.empty() ? nullptr : &it->second;
}

std::optional<std::string> read_file_if_present(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

env_lookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    if (const char* v = std::getenv(std::string(name).c_str()); v && *v) return std::string(v);
    return std::nullopt;
  };
}

void parse_shared_file(std::string_view text, std::string_view path, bool config_style, shared_files& out) {
  ini_section* section = nullptr;
  std::string last_key;
  int line_no = 0;
  while (!text.empty()) {
    auto eol = text.find('\n');
    auto raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_no;
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    auto line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) bad_line(path, line_no, "section header without ']'");
      auto name = std::string(trim(line.substr(1, close - 1)));
      last_key.clear();
      if (!config_style) {
        section = &out.credential_profiles[name];
      } else if (name == "default") {
        section = &out.config_profiles[name];
      } else if (name.starts_with("profile ")) {
        section = &out.config_profiles[std::string(trim(std::string_view(name).substr(8)))];
      } else if (name.starts_with("services ")) {
        section = &out.services[std::string(trim(std::string_view(name).substr(9)))];
      } else if (name.starts_with("sso-session ")) {
        section = &out.sso_sessions[std::string(trim(std::string_view(name).substr(12)))];
      } else {
        section = nullptr;  // sections the SDKs do not read are skipped as they skip them
      }
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) bad_line(path, line_no, "expected 'key = value'");
    if (!section) continue;
    auto key = std::string(trim(line.substr(0, eq)));
    auto value = std::string(trim(line.substr(eq + 1)));
    if (indented && !last_key.empty()) {
      section->nested[last_key][key] = value;  // a sub-property of the key above
      continue;
    }
    section->values[key] = value;
    last_key = value.empty() ? key : std::string{};
  }
}

shared_files load_shared_files(const env_lookup& env) {
  shared_files f;
  auto home = env("HOME").value_or("");
  f.config_path = env("AWS_CONFIG_FILE").value_or(home + "/.aws/config");
  f.credentials_path = env("AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
  parse_shared_file(read_file_if_present(f.config_path).value_or(""), f.config_path, true, f);
  parse_shared_file(read_file_if_present(f.credentials_path).value_or(""), f.credentials_path, false, f);
  return f;
}

std::string profile_name(const env_lookup& env) {
  if (auto p = env("AWS_PROFILE")) return *p;
  if (auto p = env("AWS_DEFAULT_PROFILE")) return *p;
  return "default";
}

std::optional<credentials> environment_credentials(const env_lookup& env) {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto key = env("AWS_SECRET_ACCESS_KEY");
  if (!id && !key) return std::nullopt;
  if (!id) throw relay_error(error_kind::config, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!key) throw relay_error(error_kind::config, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  credentials c{*id, secret(*key), {}, std::nullopt, "environment variables"};
  if (auto t = env("AWS_SESSION_TOKEN")) c.session_token = secret(*t);
  else if (auto legacy = env("AWS_SECURITY_TOKEN")) c.session_token = secret(*legacy);
  return c;
}

std::optional<credentials> profile_credentials(const shared_files& files, const std::string& profile) {
  for (auto* sections : {&files.credential_profiles, &files.config_profiles}) {
    auto it = sections->find(profile);
    if (it == sections->end()) continue;
    auto* id = it->second.get("aws_access_key_id");
    auto* key = it->second.get("aws_secret_access_key");
    if (!id && !key) continue;
    const auto& path = sections == &files.credential_profiles ? files.credentials_path : files.config_path;
    if (!id || !key)
      throw relay_error(error_kind::config, path + ": profile '" + profile + "' has " +
                                                (id ? "aws_access_key_id but no aws_secret_access_key"
                                                    : "aws_secret_access_key but no aws_access_key_id"));
    credentials c{*id, secret(*key), {}, std::nullopt, "profile '" + profile + "' in " + path};
    if (auto* t = it->second.get("aws_session_token")) c.session_token = secret(*t);
    return c;
  }
  return std::nullopt;
}

std::string resolve_region(const env_lookup& env, const shared_files& files, const std::string& profile) {
  if (auto r = env("AWS_REGION")) return *r;
  if (auto r = env("AWS_DEFAULT_REGION")) return *r;
  if (auto it = files.config_profiles.find(profile); it != files.config_profiles.end())
    if (auto* r = it->second.get("region")) return *r;
  return {};
}

std::optional<std::string> resolve_endpoint(const env_lookup& env, const shared_files& files,
                                            const std::string& profile, std::string_view service_env_suffix,
                                            std::string_view service_key) {
  if (auto ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); ignore && *ignore == "true") return std::nullopt;
  if (auto e = env("AWS_ENDPOINT_URL_" + std::string(service_env_suffix))) return e;
  if (auto e = env("AWS_ENDPOINT_URL")) return e;
  auto it = files.config_profiles.find(profile);
  if (it == files.config_profiles.end()) return std::nullopt;
  if (auto* services = it->second.get("services")) {
    if (auto s = files.services.find(*services); s != files.services.end()) {
      if (auto n = s->second.nested.find(std::string(service_key)); n != s->second.nested.end())
        if (auto u = n->second.find("endpoint_url"); u != n->second.end() && !u->second.empty()) return u->second;
    }
  }
  if (auto* e = it->second.get("endpoint_url")) return *e;
  return std::nullopt;
}

}  // namespace grm::aws
