# Warnings reach our targets through this INTERFACE target only; global flags stay untouched.
add_library(grm_warnings INTERFACE)
target_compile_options(grm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${GRM_WARNINGS_AS_ERRORS}>:-Werror>
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy (GCC bug 105651).
  # Asio's recycling allocator pairs operator new with free() through its own hooks, which GCC's
  # flow analysis reports after inlining; system-header suppression cannot reach it.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict -Wno-mismatched-new-delete>)
