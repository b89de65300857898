#include "genesys/regions.hpp"

#include <gtest/gtest.h>

namespace grm::genesys {
namespace {

TEST(Regions, TableHasAllEighteenRegionsWithLoginAndApiHosts) {
  EXPECT_EQ(all_regions().size(), 18u);
  auto ie = find_region("mypurecloud.ie");
  ASSERT_TRUE(ie);
  EXPECT_EQ(hosts_for(*ie).api_base, "https://api.mypurecloud.ie");
  EXPECT_EQ(hosts_for(*ie).login_base, "https://login.mypurecloud.ie");
}

TEST(Regions, FoundByDomainAwsRegionSdkKeyOrHostUrl) {
  for (auto name : {"usw2.pure.cloud", "us-west-2", "us_west_2", "https://api.usw2.pure.cloud/",
                    "login.usw2.pure.cloud"}) {
    auto r = find_region(name);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->domain, "usw2.pure.cloud") << name;
  }
  EXPECT_EQ(find_region("us-east-2")->domain, "use2.us-gov-pure.cloud");  // FedRAMP, not use2.pure.cloud
  EXPECT_FALSE(find_region("mars-north-1"));
}

TEST(Regions, TheRealCloudIsRecognisedByItsApiHostOnly) {
  EXPECT_EQ(region_of_url("https://api.mypurecloud.ie")->aws_region, "eu-west-1");
  EXPECT_EQ(region_of_url("https://api.usw2.pure.cloud/")->aws_region, "us-west-2");
  EXPECT_EQ(region_of_url("https://api.mypurecloud.com:443/api/v2")->aws_region, "us-east-1");
  EXPECT_FALSE(region_of_url("https://127.0.0.1:9443"));
  EXPECT_FALSE(region_of_url("https://mock.example.com/api.mypurecloud.com"));
  EXPECT_FALSE(region_of_url("https://notmypurecloud.com"));
}

}  // namespace
}  // namespace grm::genesys
