# `cmake --install` and `cpack -G DEB`: the binary, its man page, the systemd unit, the unit's
# config (/etc/genesys-relay/relay.toml, a conffile), the example configs and the payload schema.
# tests/package.sh builds the .deb, unpacks it and checks all of it.
include(GNUInstallDirs)
set(CMAKE_INSTALL_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/genesys-relay)

install(TARGETS genesys-relay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/config/examples/systemd.toml DESTINATION /etc/genesys-relay
        RENAME relay.toml PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Where the unit's LoadCredential= looks: root only.
install(DIRECTORY DESTINATION /etc/genesys-relay/credentials DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/genesys-relay/examples
        FILES_MATCHING PATTERN "*.toml")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/genesys-relay/schemas)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/genesys-relay.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/configuration.md ${PROJECT_SOURCE_DIR}/docs/metrics.md
              ${PROJECT_SOURCE_DIR}/docs/real-api.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The man page from the binary's own --help (help2man), so the two cannot drift.
find_program(GRM_HELP2MAN help2man)
if(GRM_HELP2MAN)
  set(man ${CMAKE_BINARY_DIR}/genesys-relay.1)
  add_custom_command(OUTPUT ${man}.gz
    COMMAND ${GRM_HELP2MAN} --no-info --section 1 --name "Genesys Cloud conversation events, validated and routed"
            --include ${PROJECT_SOURCE_DIR}/packaging/genesys-relay.h2m --output ${man} $<TARGET_FILE:genesys-relay>
    COMMAND gzip -9nf ${man}
    DEPENDS genesys-relay ${PROJECT_SOURCE_DIR}/packaging/genesys-relay.h2m
    COMMENT "man page from genesys-relay --help")
  add_custom_target(genesys-relay-man ALL DEPENDS ${man}.gz)
  install(FILES ${man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

set(CPACK_PACKAGE_NAME genesys-relay)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "genesys-relay maintainers <genesys-relay@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Genesys Cloud conversation events, validated and routed to EventBridge and webhooks")
set(CPACK_PACKAGE_INSTALL_DIRECTORY genesys-relay)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # the Depends: line from the binary's shared libraries
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/conffiles)
include(CPack)
