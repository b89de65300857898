#include "log_format.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>

#include "core/time.hpp"

namespace grm::app {
namespace {

// {"time": RFC 3339 UTC with milliseconds, "level", "logger", "message"}, one object per line.
class json_lines final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto level = spdlog::level::to_string_view(msg.level);
    boost::json::object line{
        {"time", format_rfc3339(std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time))},
        {"level", std::string_view(level.data(), level.size())},
        {"logger", std::string_view(msg.logger_name.data(), msg.logger_name.size())},
        {"message", std::string_view(msg.payload.data(), msg.payload.size())}};
    auto text = boost::json::serialize(line);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_lines>(); }
};

}  // namespace

std::function<void(grm::severity, std::string_view)> module_log(std::string_view module) {
  auto name = "genesys-relay." + std::string(module);
  auto logger = spdlog::get(name);
  if (!logger) {
    auto& sinks = spdlog::default_logger()->sinks();
    logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    spdlog::initialize_logger(logger);  // the registry's format and level
  }
  return [logger](grm::severity s, std::string_view m) {
    auto level = s == grm::severity::debug  ? spdlog::level::debug
                 : s == grm::severity::info ? spdlog::level::info
                 : s == grm::severity::warn ? spdlog::level::warn
                                            : spdlog::level::err;
    logger->log(level, "{}", m);
  };
}

void configure_logging(const std::string& format, const std::string& level) {
  // Logs go to stderr: stdout carries the events (`monitor --json` is piped into other tools).
  auto logger = spdlog::stderr_color_mt("genesys-relay");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  bool json = format == "json" || (format == "auto" && !::isatty(STDERR_FILENO));
  if (json) spdlog::set_formatter(std::make_unique<json_lines>());
  else spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

}  // namespace grm::app
