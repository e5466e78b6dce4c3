# Language level, default build type, warnings and sanitizer options.
#   -DTESSERA_SANITIZE=address   ASan + UBSan
#   -DTESSERA_SANITIZE=thread    TSan
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -g -DNDEBUG")

add_compile_options(-Wall -Wextra -Wno-missing-field-initializers)

set(TESSERA_SANITIZE "" CACHE STRING "Sanitizer build: empty, address (ASan+UBSan) or thread")
if(TESSERA_SANITIZE STREQUAL "address")
  # _GLIBCXX_ASSERTIONS: operator[] and friends check the index against size(), where ASan
  # alone only sees reads past the allocation (a vector's spare capacity hides them).
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -D_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=address,undefined)
elseif(TESSERA_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT TESSERA_SANITIZE STREQUAL "")
  message(FATAL_ERROR "TESSERA_SANITIZE must be empty, address or thread")
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()
