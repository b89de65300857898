#include "core/allocator.hpp"

#include <malloc.h>

namespace grm {

void tune_allocator() noexcept {
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
}

}  // namespace grm
