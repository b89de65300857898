#pragma once
// credential_process (https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html):
// the profile names a command; its standard output is a JSON document with the credentials.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"

namespace grm::aws {

// Runs `command` with /bin/sh -c, standard input closed and standard error inherited (the tool's
// diagnostics reach the user's terminal). Reads standard output without blocking the executor;
// kills the process when `timeout` passes. Throws relay_error(auth) on a non-zero exit, naming
// the status but never the output (it holds the secret).
boost::asio::awaitable<std::string> run_credential_process(const std::string& command,
                                                           std::chrono::milliseconds timeout);

}  // namespace grm::aws
