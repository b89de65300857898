#include "core/secret.hpp"

#include <algorithm>
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

}  // namespace grm
