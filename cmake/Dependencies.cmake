# Every dependency comes from the system (Debian's packages); nothing is vendored.
find_package(Threads REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
endif()

if(NETCHAT_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
