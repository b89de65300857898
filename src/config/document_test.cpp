#include "config/document.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace grm::config {
namespace {

std::optional<std::string> no_env(const char*) { return std::nullopt; }
std::optional<std::string> crm_env(const char* name) {
  if (std::string_view(name) == "CRM_WEBHOOK_URL") return "https://crm.example.com/from-env";
  return std::nullopt;
}

std::string error_of(std::string_view text) {
  try {
    document::parse(text, "relay.toml", no_env);
  } catch (const relay_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Section, GettersNameTheKeyAndTheLineOfTheValue) {
  auto d = document::parse("[outbox]\nmax_pending = \"many\"\nmax_age_h = 0\nsynchronous = \"fast\"\n", "relay.toml", no_env);
  auto s = d.global("outbox");
  ASSERT_TRUE(s.present());
  auto message = [](auto f) {
    try {
      f();
    } catch (const relay_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { s.integer("max_pending"); }), "relay.toml:2: 'outbox.max_pending' must be a number");
  EXPECT_EQ(message([&] { s.integer("max_age_h", 1); }), "relay.toml:3: 'outbox.max_age_h' must be at least 1");
  EXPECT_EQ(message([&] { s.choice("synchronous", {"normal", "full"}); }),
            "relay.toml:4: outbox.synchronous: 'fast' is not one of normal, full");
  EXPECT_EQ(message([&] { s.reject_unknown({"max_pending", "max_age_h"}); }), "relay.toml:4: unknown key 'outbox.synchronous'");
  EXPECT_FALSE(d.global("metrics").present());
  EXPECT_EQ(d.global("metrics").string("listen"), std::nullopt);
}

std::optional<std::string> secret_env(const char* name) {
  if (std::string_view(name) == "GENESYS_SECRET") return "from-the-environment";
  return std::nullopt;
}

TEST(Section, SecretValuesComeFromTheEnvironmentAFileOrTheValueAndErrorsNeverShowThem) {
  auto dir = std::filesystem::temp_directory_path() / ("grm-secret-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "secret") << "from-a-file\n";
  std::ofstream(dir / "empty");
  auto text = "[genesys]\nenv = \"${GENESYS_SECRET}\"\nfile = \"file:" + (dir / "secret").string() + "\"\nplain = \"literal\"\n"
              "unset = \"${NOT_SET}\"\nmissing = \"file:" + (dir / "none").string() + "\"\nempty = \"file:" + (dir / "empty").string() + "\"\n";
  auto d = document::parse(text, "relay.toml", secret_env);
  auto g = d.global("genesys");
  EXPECT_EQ(g.secret_value("env", secret_env)->reveal(), "from-the-environment");
  EXPECT_EQ(g.secret_value("file", secret_env)->reveal(), "from-a-file");
  EXPECT_EQ(g.secret_value("plain", secret_env)->reveal(), "literal");
  EXPECT_FALSE(g.secret_value("absent", secret_env));
  auto message = [&](const char* key) {
    try {
      g.secret_value(key, secret_env);
    } catch (const relay_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("unset"), "relay.toml:5: genesys.unset = \"${NOT_SET}\", but NOT_SET is not set in the environment");
  EXPECT_EQ(message("missing"), "relay.toml:6: genesys.missing: cannot read '" + (dir / "none").string() + "'");
  EXPECT_EQ(message("empty"), "relay.toml:7: genesys.empty: '" + (dir / "empty").string() + "' is empty");
  std::filesystem::remove_all(dir);
}

TEST(Section, ATakenKeyKeepsItsLineAndItsName) {
  auto d = document::parse("[forwarder]\nstate_path = 7\n", "relay.toml", no_env);
  auto state = d.global("state");  // the shorthand's [state] path is forwarder.state_path
  try {
    state.string("path");
    ADD_FAILURE() << "no error";
  } catch (const relay_error& e) {
    EXPECT_STREQ(e.what(), "relay.toml:2: 'forwarder.state_path' must be a string");
  }
}

TEST(Document, TheShorthandBecomesNamedComponents) {
  auto d = document::parse(R"([monitor]
transports = ["notifications", "sse"]
queues = ["q"]
[forwarder]
enabled = true
marker = []
[alerts]
sinks = ["webhook"]
webhook_url = "https://alerts.example.com/a"
)",
                           "relay.toml", crm_env);
  EXPECT_TRUE(d.shorthand());
  std::vector<std::string> ids;
  for (auto& c : d.components()) ids.push_back(std::string(to_string(c.kind)) + ":" + c.id + ":" + c.type);
  EXPECT_EQ(ids, (std::vector<std::string>{"source:notifications:notifications", "source:sse:sse", "transform:sentiment:sentiment",
                                           "sink:eventbridge:eventbridge", "sink:crm:webhook", "sink:alert_webhook:webhook"}))
      << "marker = [] writes no marker";
  EXPECT_EQ(d.find("sentiment")->inputs, (std::vector<std::string>{"notifications", "sse"})) << "forwarder.enabled";
  EXPECT_EQ(d.find("eventbridge")->inputs, std::vector<std::string>{"sentiment"}) << "alerts.sinks has no eventbridge";
  EXPECT_EQ(d.find("alert_webhook")->inputs, std::vector<std::string>{"sentiment.alerts"});
  EXPECT_EQ(d.find("crm")->settings.string("url"), "https://crm.example.com/from-env") << "CRM_WEBHOOK_URL";
  EXPECT_EQ(d.find("alert_webhook")->settings.string("url"), "https://alerts.example.com/a");
  EXPECT_EQ(d.find("alert_webhook")->settings.string("body"), "raw");
  EXPECT_EQ(d.find("sentiment")->settings.boolean("alert_log"), false);
  EXPECT_EQ(d.global("monitor").keys(), std::vector<std::string>{"transports"})
      << "queues went to the sources; transports stays for the messages that name it";
}

TEST(Document, TheShapeIsCheckedBeforeAnyComponentReadsIt) {
  EXPECT_EQ(error_of("[sinks]\nx = 1\n"), "relay.toml:2: 'sinks.x' must be a table");
  EXPECT_EQ(error_of("[sinks.x]\ninputs = [\"a\"]\n"), "relay.toml:1: 'sinks.x' needs a type");
  EXPECT_EQ(error_of("[sinks.x]\ntype = \"file\"\ninputs = \"a\"\n"), "relay.toml:3: 'sinks.x.inputs' must be an array of strings");
  EXPECT_EQ(error_of("[sources.s]\ntype = \"sse\"\ninputs = [\"a\"]\n"), "relay.toml:3: 'sources.s.inputs': a source has no inputs");
  EXPECT_EQ(error_of("[bogus]\nx = 1\n"), "relay.toml:1: unknown key 'bogus'");
  EXPECT_EQ(error_of("monitor = 3\n"), "relay.toml:1: 'monitor' must be a table");
  EXPECT_EQ(error_of("[[["), "relay.toml:1: Error while parsing key: expected bare key starting character or string delimiter, saw '['");
  EXPECT_EQ(error_of("[monitor]\ntransports = [\"pigeon\"]\n"), "relay.toml:2: monitor.transports: 'pigeon' is not one of notifications, sse");
}

}  // namespace
}  // namespace grm::config
