#pragma once
// What the STS-calling providers share: the endpoint the SDKs resolve (AWS_ENDPOINT_URL_STS, the
// profile's services section, else the regional endpoint) and the form encoding of Query calls.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "aws/shared_config.hpp"

namespace grm::aws {

std::string sts_url(const env_lookup& env, const shared_files& files, const std::string& profile,
                    const std::string& region);
// The region STS calls are signed for: the configured one, else us-east-1 (the global endpoint's).
std::string sts_signing_region(const std::string& region);
std::string form_encode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace grm::aws
