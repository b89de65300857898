#include "net/endpoint.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "net/http.hpp"

namespace grm::net {
namespace {

TEST(Endpoint, SplitsSchemeHostPortAndTarget) {
  auto ep = parse_endpoint("https://api.mypurecloud.ie/api/v2/notifications/channels?x=1");
  EXPECT_TRUE(ep.tls);
  EXPECT_EQ(ep.host, "api.mypurecloud.ie");
  EXPECT_EQ(ep.port, 443);
  EXPECT_EQ(ep.target, "/api/v2/notifications/channels?x=1");
  EXPECT_EQ(ep.host_header(), "api.mypurecloud.ie");
  auto w = parse_endpoint("ws://127.0.0.1:8089");
  EXPECT_FALSE(w.tls);
  EXPECT_EQ(w.port, 8089);
  EXPECT_EQ(w.target, "/");
  EXPECT_EQ(w.host_header(), "127.0.0.1:8089");
}

TEST(Endpoint, RejectsRelativeAndUnsupportedUrlsWithTheUrlInTheMessage) {
  try {
    parse_endpoint("ftp://x/y");
    FAIL();
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    EXPECT_STREQ(e.what(), "'ftp://x/y': scheme must be http, https, ws or wss");
  }
  EXPECT_THROW(parse_endpoint("/api/v2"), relay_error);
}

TEST(Proxy, NoProxyMatchesHostsAndSubdomainsOnly) {
  proxy_settings p{"http://proxy:3128", "localhost, .internal.example,10.0.0.1"};
  EXPECT_TRUE(p.bypass("localhost"));
  EXPECT_TRUE(p.bypass("a.internal.example"));
  EXPECT_TRUE(p.bypass("internal.example"));
  EXPECT_TRUE(p.bypass("10.0.0.1"));
  EXPECT_FALSE(p.bypass("api.mypurecloud.com"));
  EXPECT_FALSE(p.bypass("notinternal.example"));
  EXPECT_TRUE((proxy_settings{"", ""}.bypass("anything")));
  EXPECT_TRUE((proxy_settings{"http://p:1", "*"}.bypass("anything")));
}

}  // namespace
}  // namespace grm::net
