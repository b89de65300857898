// The parts of http.hpp's message types that need no Asio: parsers and fuzz targets link this
// alone.
#include <algorithm>
#include <cctype>

#include "net/http.hpp"

namespace grm::net {

std::optional<std::string_view> http_response::header_value(std::string_view name) const {
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (auto& h : headers)
    if (same(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

}  // namespace grm::net
