# Every dependency comes from the system (Debian's packages); nothing is vendored.
find_package(Threads REQUIRED)

if(CMAKE_CROSSCOMPILING AND WIN32 AND NOT MSVC)
  # MinGW cross build on Debian: the header-only libraries and GoogleTest's sources.
  include(${CMAKE_CURRENT_LIST_DIR}/MinGWDependencies.cmake)
else()
  find_package(spdlog CONFIG REQUIRED)
  find_package(CLI11 CONFIG REQUIRED)
  if(NETCHAT_TESTS)
    find_package(GTest CONFIG REQUIRED)
  endif()
endif()

if(NOT WIN32)
  # netcore's TLS (src/tls/tls_openssl.cpp); Windows uses Schannel.
  find_package(OpenSSL 3 REQUIRED)
endif()

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
  # sd_notify for the systemd unit's Type=notify (packaging/netchat.service.in).
  pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
  if(NETCHAT_TOOLS)
    # chat_server --metrics: the metric model and text format, and the HTTP side.
    find_package(prometheus-cpp CONFIG REQUIRED COMPONENTS core)
    pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
  endif()
endif()
