# What `cmake --install` puts where (GNUInstallDirs) and the Debian package `cpack -G DEB`
# builds from it. A package for /usr is configured with -DCMAKE_INSTALL_PREFIX=/usr: the
# config file then goes to /etc/netchat (GNUInstallDirs' rule for the /usr prefix).
include(GNUInstallDirs)

install(TARGETS chat_server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET server_gui)
  install(TARGETS server_gui RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET client_gui)
  install(TARGETS client_gui RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(NETCHAT_CONFIG_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/netchat/netchat.toml")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/netchat.toml
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/netchat)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
              ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/docs/protocol.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  configure_file(${PROJECT_SOURCE_DIR}/packaging/netchat.service.in
                 ${PROJECT_BINARY_DIR}/packaging/netchat.service @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/packaging/netchat.service
          DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

set(CPACK_PACKAGE_NAME netchat)
set(CPACK_PACKAGE_VENDOR "netchat")
set(CPACK_PACKAGE_CONTACT "netchat maintainers <netchat@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "chat server with switchable socket I/O engines (and its windows)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The shared libraries' packages (libspdlog, liburing, libsystemd...) from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libhiredis0.14 among them (--cluster)
# A cluster (--cluster, docs/cluster.md) needs a Redis somewhere, not necessarily on this host.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server")
set(CPACK_STRIP_FILES ON)  # the build has debug info; the package does not need it
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/conffiles)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "${NETCHAT_CONFIG_FILE}\n")
include(CPack)
