#pragma once
// A self-signed certificate for the simulator (EC P-256, SAN localhost and 127.0.0.1), made at
// start-up so nothing secret is shipped in the repo. Clients trust it explicitly (its PEM is the
// trust anchor), so TLS verification stays on against the simulator.
#include <string>

namespace grm::sim {

struct certificate {
  std::string cert_pem;
  std::string key_pem;
};

certificate make_self_signed_certificate(const std::string& common_name);

}  // namespace grm::sim
