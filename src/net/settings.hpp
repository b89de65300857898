#pragma once
// The transport settings every HTTP-speaking component reads from its own table, with the same
// rules everywhere: `ca_file` (extra trust anchors), `tls_verify` (off only for a loopback host),
// https:// unless the host is loopback, the proxy from the environment.
#include <string>
#include <string_view>

#include "config/section.hpp"
#include "net/http.hpp"

namespace grm::net {

inline constexpr std::string_view kLoopbackHosts = "a loopback host (127.0.0.0/8, ::1 or localhost)";

// A client of the component's own: trust from `ca_file`, verification from `tls_verify` (checked
// against `url`; an empty url is the default endpoint, which is never loopback).
http_client_options client_options(const config::section& s, const std::string& url);

// Plain http carries tokens and payloads in clear text: only to a loopback host. `what` names
// the setting ("crm: webhook URL"); `key` is where the file sets it.
void require_secure_scheme(const config::section& s, std::string_view key, const std::string& url, std::string_view what);

}  // namespace grm::net
