# Warnings reach our targets through this INTERFACE target only; global flags stay untouched.
add_library(grm_warnings INTERFACE)
target_compile_options(grm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${GRM_WARNINGS_AS_ERRORS}>:-Werror>
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy (GCC bug 105651).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
