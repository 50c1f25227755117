# Dependencies for the MinGW cross build, taken from Debian's native packages without copying:
# spdlog, fmt and CLI11 are used header-only; GoogleTest is built from /usr/src/googletest.
#
# /usr/include cannot go on the cross compiler's include path (glibc's headers would shadow
# MinGW's), so a small directory of symlinks exposes just the three libraries.
set(NETCHAT_HOST_INCLUDE /usr/include CACHE PATH "Where Debian keeps spdlog, fmt and CLI11")
set(NETCHAT_GTEST_SOURCE /usr/src/googletest CACHE PATH "GoogleTest sources (Debian's googletest)")

set(_netchat_inc ${CMAKE_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${_netchat_inc})
foreach(lib spdlog fmt CLI)
  if(NOT EXISTS ${NETCHAT_HOST_INCLUDE}/${lib})
    message(FATAL_ERROR "${NETCHAT_HOST_INCLUDE}/${lib} is missing: apt-get install "
                        "libspdlog-dev libfmt-dev libcli11-dev")
  endif()
  file(CREATE_LINK ${NETCHAT_HOST_INCLUDE}/${lib} ${_netchat_inc}/${lib} SYMBOLIC)
endforeach()

add_library(netchat_fmt INTERFACE)
target_include_directories(netchat_fmt SYSTEM INTERFACE ${_netchat_inc})
target_compile_definitions(netchat_fmt INTERFACE FMT_HEADER_ONLY)

# Debian's spdlog is configured with SPDLOG_FMT_EXTERNAL (tweakme.h): it uses the fmt above.
add_library(netchat_spdlog INTERFACE)
target_link_libraries(netchat_spdlog INTERFACE netchat_fmt Threads::Threads)
target_compile_definitions(netchat_spdlog INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
add_library(spdlog::spdlog ALIAS netchat_spdlog)

add_library(netchat_cli11 INTERFACE)
target_include_directories(netchat_cli11 SYSTEM INTERFACE ${_netchat_inc})
add_library(CLI11::CLI11 ALIAS netchat_cli11)

if(NETCHAT_TESTS)
  if(NOT EXISTS ${NETCHAT_GTEST_SOURCE}/CMakeLists.txt)
    message(FATAL_ERROR "${NETCHAT_GTEST_SOURCE} is missing: apt-get install googletest")
  endif()
  set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory(${NETCHAT_GTEST_SOURCE} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  # GoogleTest's own code is not ours to keep -Wextra clean.
  foreach(t gtest gtest_main)
    target_compile_options(${t} PRIVATE -w)
    if(NOT TARGET GTest::${t})
      add_library(GTest::${t} ALIAS ${t})
    endif()
  endforeach()
endif()
