#include "core/secret.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <set>

namespace grm {

namespace {

std::set<std::string, std::less<>>& configured() {
  static std::set<std::string, std::less<>> names;
  return names;
}

}  // namespace

void register_secret_variable(std::string name) { configured().insert(std::move(name)); }

bool is_secret_variable(std::string_view name) {
  return std::find(std::begin(relay_secret_variables), std::end(relay_secret_variables), name) !=
             std::end(relay_secret_variables) ||
         configured().contains(name);
}

std::optional<secret> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return secret(std::move(text));
}

}  // namespace grm
