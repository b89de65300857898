#include "genesys/regions.hpp"

#include <array>

namespace grm::genesys {
namespace {

constexpr std::array<region, 18> kRegions = {{
    {"us-east-1", "us_east_1", "mypurecloud.com"},
    {"us-east-2", "us_east_2", "use2.us-gov-pure.cloud"},
    {"us-west-2", "us_west_2", "usw2.pure.cloud"},
    {"ca-central-1", "ca_central_1", "cac1.pure.cloud"},
    {"sa-east-1", "sa_east_1", "sae1.pure.cloud"},
    {"mx-central-1", "mx_central_1", "mxc1.pure.cloud"},
    {"eu-west-1", "eu_west_1", "mypurecloud.ie"},
    {"eu-west-2", "eu_west_2", "euw2.pure.cloud"},
    {"eu-central-1", "eu_central_1", "mypurecloud.de"},
    {"eu-central-2", "eu_central_2", "euc2.pure.cloud"},
    {"eusc-de-east-1", "eusc_de_east_1", "edee1.eusc-pure.cloud"},
    {"me-central-1", "me_central_1", "mec1.pure.cloud"},
    {"ap-south-1", "ap_south_1", "aps1.pure.cloud"},
    {"ap-southeast-1", "ap_southeast_1", "apse1.pure.cloud"},
    {"ap-southeast-2", "ap_southeast_2", "mypurecloud.com.au"},
    {"ap-northeast-1", "ap_northeast_1", "mypurecloud.jp"},
    {"ap-northeast-2", "ap_northeast_2", "apne2.pure.cloud"},
    {"ap-northeast-3", "ap_northeast_3", "apne3.pure.cloud"},
}};

}  // namespace

std::span<const region> all_regions() noexcept { return kRegions; }

std::optional<region> find_region(std::string_view name) noexcept {
  for (auto prefix : {"https://", "http://"})
    if (name.starts_with(prefix)) name.remove_prefix(std::string_view(prefix).size());
  for (auto prefix : {"api.", "login."})
    if (name.starts_with(prefix)) name.remove_prefix(std::string_view(prefix).size());
  while (name.ends_with('/')) name.remove_suffix(1);
  for (const auto& r : kRegions)
    if (name == r.domain || name == r.aws_region || name == r.sdk_key) return r;
  return std::nullopt;
}

std::optional<region> region_of_url(std::string_view url) noexcept {
  auto scheme = url.find("://");
  auto host = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/:?#"));
  for (const auto& r : kRegions)
    if (host == r.domain || (host.ends_with(r.domain) && host.size() > r.domain.size() &&
                             host[host.size() - r.domain.size() - 1] == '.'))
      return r;
  return std::nullopt;
}

hosts hosts_for(const region& r) {
  return {"https://api." + std::string(r.domain), "https://login." + std::string(r.domain)};
}

}  // namespace grm::genesys
