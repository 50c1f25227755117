# The windows (server_gui, client_gui) in the MinGW cross build: compiled, never linked.
#
# Debian packages Dear ImGui and GLFW for Linux only (libimgui.a, libglfw.so); there is no
# MinGW build of either, so server_gui.exe and client_gui.exe cannot be linked here. What the
# cross build does check is that every GUI source compiles for Windows, -Wall -Wextra clean,
# against the same ImGui and GLFW headers the Linux build uses: they are exposed to the cross
# compiler like spdlog (MinGWDependencies.cmake), as symlinks in host-headers, and the sources
# compile as OBJECT libraries gathered under the target gui_sources_mingw, part of `all`.
# The whole Windows GUI, linked, is built with MSVC and vcpkg (preset windows-msvc, README).
#
# GL: <GLFW/glfw3.h> includes MinGW's <GL/gl.h> (GLFW defines the APIENTRY and WINGDIAPI it
# needs), which declares the few GL 1.1 calls app_window.cpp makes; imgui_impl_opengl3.h
# needs no GL header at all (the backend's .cpp carries its own loader).
set(_gui_inc ${CMAKE_BINARY_DIR}/host-headers)  # made by MinGWDependencies.cmake
if(NOT EXISTS ${NETCHAT_HOST_INCLUDE}/imgui/imgui.h
   OR NOT EXISTS ${NETCHAT_HOST_INCLUDE}/imgui/backends/imgui_impl_glfw.h
   OR NOT EXISTS ${NETCHAT_HOST_INCLUDE}/GLFW/glfw3.h)
  message(STATUS "GUI: ImGui or GLFW headers missing; the windows' sources are not compiled "
                 "(scripts/install-deps.sh windows installs libimgui-dev and libglfw3-dev)")
  return()
endif()

foreach(dir imgui GLFW)
  file(CREATE_LINK ${NETCHAT_HOST_INCLUDE}/${dir} ${_gui_inc}/${dir} SYMBOLIC)
endforeach()

# Headers only: <GLFW/glfw3.h> from host-headers, <imgui.h> and <imgui_impl_*.h> from ImGui's
# directory and its backends/ (Debian's layout; vcpkg puts them all in one directory).
add_library(netchat_imgui INTERFACE)
target_include_directories(netchat_imgui SYSTEM INTERFACE
                           ${_gui_inc} ${_gui_inc}/imgui ${_gui_inc}/imgui/backends)
add_library(netchat::imgui ALIAS netchat_imgui)

add_custom_target(gui_sources_mingw ALL)
set(NETCHAT_GUI_COMPILE_ONLY TRUE)

file(STRINGS ${NETCHAT_HOST_INCLUDE}/imgui/imgui.h _gui_version_line
     REGEX "^#define IMGUI_VERSION +\"")
string(REGEX REPLACE ".*\"(.*)\".*" "\\1" _gui_version "${_gui_version_line}")
message(STATUS "GUI: compile only, against Debian's ImGui ${_gui_version} and GLFW headers "
               "(no MinGW ImGui or GLFW to link: target gui_sources_mingw)")
