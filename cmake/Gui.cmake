# Finds what the windows need: Dear ImGui with its GLFW and OpenGL 3 backends, GLFW and
# OpenGL. Two layouts are understood:
#   - vcpkg (Windows, the windows-msvc preset): find_package(imgui CONFIG) gives imgui::imgui
#     with the GLFW and OpenGL 3 backends compiled in (features glfw-binding, opengl3-binding)
#     and every header, the backends' too, in one include directory.
#   - Debian's libimgui-dev: one static libimgui.a holding the core and every backend, headers
#     in /usr/include/imgui and /usr/include/imgui/backends, stb_truetype from libstb.
# On success it defines the target netchat::imgui and sets NETCHAT_GUI_FOUND.
# The MinGW cross build only compiles the windows' sources (MinGWGui.cmake says why); it sets
# NETCHAT_GUI_COMPILE_ONLY instead.
set(NETCHAT_GUI_FOUND FALSE)
set(NETCHAT_GUI_COMPILE_ONLY FALSE)

# Adds one of the windows' targets: a STATIC library or an EXECUTABLE when the GUI is built;
# an OBJECT library, part of gui_sources_mingw, when it is only compiled.
function(netchat_add_gui_target name kind)
  if(NETCHAT_GUI_COMPILE_ONLY)
    add_library(${name} OBJECT ${ARGN})
    add_dependencies(gui_sources_mingw ${name})
  elseif(kind STREQUAL "EXECUTABLE")
    add_executable(${name} ${ARGN})
    if(MSVC)
      # UTF-8 as the process's code page (Windows 10 1903 and later): a Korean --nick or
      # --room reaches argv as UTF-8, the encoding the rest of the program uses.
      target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/utf8.manifest)
    endif()
  else()
    add_library(${name} ${kind} ${ARGN})
  endif()
endfunction()

if(CMAKE_CROSSCOMPILING AND WIN32 AND NOT MSVC)
  include(${CMAKE_CURRENT_LIST_DIR}/MinGWGui.cmake)
  return()
endif()

find_package(OpenGL QUIET)
find_package(glfw3 CONFIG QUIET)
if(NOT TARGET glfw)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(GLFW3 QUIET IMPORTED_TARGET glfw3)
    if(GLFW3_FOUND)
      add_library(glfw ALIAS PkgConfig::GLFW3)
    endif()
  endif()
endif()

find_package(imgui CONFIG QUIET)
if(TARGET imgui::imgui)
  set(_gui_imgui imgui::imgui)
else()
  find_path(IMGUI_INCLUDE_DIR imgui.h PATH_SUFFIXES imgui)
  find_path(IMGUI_BACKENDS_DIR imgui_impl_glfw.h
            HINTS ${IMGUI_INCLUDE_DIR} PATH_SUFFIXES backends imgui/backends)
  find_library(IMGUI_LIBRARY imgui)
  # Debian builds ImGui against the system stb instead of its bundled copy.
  find_library(STB_LIBRARY stb)
  if(IMGUI_INCLUDE_DIR AND IMGUI_BACKENDS_DIR AND IMGUI_LIBRARY)
    add_library(netchat_imgui_system INTERFACE)
    target_include_directories(netchat_imgui_system SYSTEM INTERFACE
                               ${IMGUI_INCLUDE_DIR} ${IMGUI_BACKENDS_DIR})
    target_link_libraries(netchat_imgui_system INTERFACE ${IMGUI_LIBRARY})
    if(STB_LIBRARY)
      target_link_libraries(netchat_imgui_system INTERFACE ${STB_LIBRARY})
    endif()
    set(_gui_imgui netchat_imgui_system)
  endif()
endif()

if(_gui_imgui AND TARGET glfw AND TARGET OpenGL::GL)
  add_library(netchat_imgui INTERFACE)
  # glfw after imgui: the static archive's backends need it; the OpenGL 3 backend dlopens GL.
  target_link_libraries(netchat_imgui INTERFACE ${_gui_imgui} glfw OpenGL::GL ${CMAKE_DL_LIBS})
  add_library(netchat::imgui ALIAS netchat_imgui)
  set(NETCHAT_GUI_FOUND TRUE)
  message(STATUS "GUI: Dear ImGui (${_gui_imgui}), GLFW and OpenGL found")
else()
  message(STATUS "GUI: Dear ImGui, GLFW or OpenGL missing; the windows are not built "
                 "(scripts/install-deps.sh gui installs them)")
endif()
