add_library(grm_sanitizers INTERFACE)
if(GRM_SANITIZE)
  target_compile_options(grm_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(grm_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
