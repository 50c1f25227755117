# Cross-compiles for 64-bit Windows with Debian's MinGW-w64 (g++-mingw-w64-x86-64-posix).
# The posix flavour is needed: it has std::thread and std::mutex (winpthreads underneath).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(NETCHAT_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${NETCHAT_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${NETCHAT_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${NETCHAT_MINGW_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${NETCHAT_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Everything static (libgcc, libstdc++, winpthread) so Wine or Windows needs no MinGW DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Lets ctest and gtest_discover_tests run the .exe files under Wine (wine-run.sh keeps a
# headless prefix in the build dir). Override with -DCMAKE_CROSSCOMPILING_EMULATOR=...
if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh)
endif()
