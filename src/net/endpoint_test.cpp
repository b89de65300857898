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

TEST(Endpoint, AHostThatBeginsLikeAnIpv4AddressIsRefusedNotSentToThatAddress) {
  try {
    parse_endpoint("https://127.0.0.1.nip.io/x");
    FAIL() << "parsed";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    EXPECT_STREQ(e.what(), "'https://127.0.0.1.nip.io/x': a host name that begins like an IPv4 address is not supported "
                           "(Boost.URL 1.81 reads it as the address); use the address or another name");
  }
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

namespace grm::net {
namespace {

TEST(Loopback, OnlyAHostThatIsLiterallyLoopbackCounts) {
  for (auto url : {"https://127.0.0.1:9443", "https://127.9.8.7/x", "http://localhost:8080/hook", "https://LOCALHOST",
                   "wss://[::1]:443/channels/x", "http://127.0.0.1"})
    EXPECT_TRUE(is_loopback_url(url)) << url;
  for (auto url : {"https://localhost.example.com", "https://example.com/?x=://127.0.0.1", "https://127.0.0.1.nip.io",
                   "https://127.0.0.1@evil.example.com/", "https://evil.example.com/#://localhost", "https://[::ffff:7f00:1]/",
                   "https://128.0.0.1", "not a url", "localhost:8080", "https://[::2]/"})
    EXPECT_FALSE(is_loopback_url(url)) << url;
}

TEST(RedactedUrl, KeepsSchemeHostPortAndPathOnly) {
  EXPECT_EQ(redacted_url("https://user:pw@crm.example.com:8443/hooks/in?token=abc123#frag"),
            "https://crm.example.com:8443/hooks/in");
  EXPECT_EQ(redacted_url("http://127.0.0.1:9/"), "http://127.0.0.1:9/");
  EXPECT_EQ(redacted_url("https://crm.example.com?key=s3cret"), "https://crm.example.com/");
  EXPECT_EQ(redacted_url("::not a url::"), "<invalid URL>");
}

}  // namespace
}  // namespace grm::net
