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

status_class classify_status(unsigned status) noexcept {
  if (status >= 200 && status < 300) return status_class::success;
  if (status == 408 || status == 429) return status_class::retryable;
  // 501 Not Implemented will not change on a retry; every other 5xx may be transient (Vector's
  // and the AWS SDKs' rule).
  if (status >= 500 && status < 600 && status != 501) return status_class::retryable;
  return status_class::fatal;
}

}  // namespace grm::net
