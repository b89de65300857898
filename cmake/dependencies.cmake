# Every third-party dependency is found here, once. All come from Debian 12 packages
# (scripts/install-deps lists them).
find_package(Threads REQUIRED)
find_package(simdjson REQUIRED)
find_package(fmt REQUIRED)
# The AWS parsers are fuzzed too: they need Boost.JSON and OpenSSL (no Asio).
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS json url system)
find_package(OpenSSL 3 REQUIRED)
if(GRM_FUZZ_ONLY)
  return()
endif()
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
if(GRM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(GRM_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Asio and Beast are compiled once, in src/net/asio_impl.cpp; everyone else only sees declarations.
add_library(grm_boost_headers INTERFACE)
target_link_libraries(grm_boost_headers INTERFACE Boost::headers Boost::json Boost::url Boost::system
  OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(grm_boost_headers INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_DISABLE_CONCEPTS)
