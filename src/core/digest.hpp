#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL), and lower-case hex: SigV4 and webhook signatures. SHA-1
// only where a format names it (the AWS SSO token cache file name), never for integrity.
#include <string>
#include <string_view>

namespace grm {

std::string hex(std::string_view bytes);
std::string sha256_hex(std::string_view data);
std::string sha1_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // the raw 32 bytes

}  // namespace grm
