#pragma once
// Genesys Cloud regions (JS-SDK PureCloudRegionHosts, 18 entries): API host api.{domain},
// login host login.{domain}.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace grm::genesys {

struct region {
  std::string_view aws_region;  // us-east-1
  std::string_view sdk_key;     // us_east_1
  std::string_view domain;      // mypurecloud.com
};

std::span<const region> all_regions() noexcept;
// Accepts the domain ("mypurecloud.ie"), the AWS region ("eu-west-1") or the SDK key
// ("eu_west_1"), with or without an "api."/"login." prefix or https:// scheme.
std::optional<region> find_region(std::string_view name) noexcept;

// The region whose domain serves this API base URL (https://api.mypurecloud.ie, ...): the real
// cloud, where the tutorials' invented endpoints do not exist. nullopt for any other host (the
// simulator, a proxy or mock).
std::optional<region> region_of_url(std::string_view url) noexcept;

struct hosts {
  std::string api_base;    // https://api.{domain}
  std::string login_base;  // https://login.{domain}
};
hosts hosts_for(const region& r);

}  // namespace grm::genesys
