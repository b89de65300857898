#pragma once
// What the forwarder suites run against: an io_context (first, so it outlives everything bound
// to it), the simulated org with its generator paused (conversations come from add_sentiment),
// the AWS emulator, a CRM webhook receiver, and an empty directory per test for state and audit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "sim/aws_emulator.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/webhook_receiver.hpp"

namespace grm::testing {

// A conversation id as Genesys makes them (a UUID), numbered.
inline std::string conversation_id(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "3f2504e0-4f89-41d3-9a0c-%012d", n);
  return buf;
}

struct sim_org {
  static sim::sim_options paused() {
    sim::sim_options o;
    o.max_conversations = 1;
    o.start_paused = true;
    return o;
  }
  explicit sim_org(sim::sim_options options = paused()) : genesys(std::move(options)) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }

  boost::asio::io_context ioc;
  sim::genesys_simulator genesys;
  sim::aws_emulator aws;
  sim::webhook_receiver crm;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("grm-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_suite()->name() + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
};

}  // namespace grm::testing
