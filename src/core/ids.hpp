#pragma once
// Identifiers we mint: UUID v4 from the operating system's CSPRNG (OpenSSL RAND_bytes), so a
// forwardingId or auditId cannot be predicted or collide across relay instances.
#include <string>

namespace grm {

std::string uuid_v4();  // "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx", lower case

}  // namespace grm
