// Every parser of what AWS (or something pretending to be AWS) sends us: PutEvents results and
// error bodies, STS XML, container/IMDS JSON, IAM Identity Center role credentials, errors, the SSO token cache and OIDC answers, credential_process output, and the SigV4
// Authorization header the emulator reads. They may refuse input with relay_error; they must
// never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/credential_documents.hpp"
#include "aws/sigv4.hpp"
#include "core/error.hpp"
#include "sinks/eventbridge/request_builder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  auto selector = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  namespace eb = grm::sinks::eventbridge;
  try {
    switch (selector % 12) {
      case 0: eb::parse_put_events_result(in, 1 + selector / 12 % 10); break;
      case 1: {
        grm::net::http_response r{400u + selector % 120, {{"X-Amzn-ErrorType", std::string(in.substr(0, in.size() / 3))}},
                                  std::string(in.substr(in.size() / 3))};
        auto f = eb::classify_failure(r);
        (void)f;
        break;
      }
      case 2: grm::aws::parse_sts_credentials(in, "fuzz"); break;
      case 3: (void)grm::aws::sts_error_message(in); break;
      case 4: grm::aws::parse_metadata_credentials(in, "fuzz"); break;
      case 5: grm::aws::parse_process_output(in, "fuzz"); break;
      case 6: (void)grm::aws::parse_authorization_header(in); break;
      case 7: grm::aws::parse_sso_role_credentials(in, "fuzz"); break;
      case 8: (void)grm::aws::sso_error_message(in); break;
      case 9: (void)grm::aws::parse_sso_token_cache(in); break;
      case 10: (void)grm::aws::apply_sso_renewal(in.substr(0, in.size() / 2), in.substr(in.size() / 2), {}); break;
      case 11: (void)grm::aws::sso_oidc_error(in); (void)grm::aws::sso_refresh_request(in); break;
    }
  } catch (const grm::relay_error&) {
    // refusing bad input is the expected outcome
  }
  return 0;
}
