# Runs in CPack after the files are staged, once per generator: drops what
# only the other package format should carry.
#   .deb: /usr/share/doc/iptmode/copyright and changelog.Debian.gz, and the
#         lintian overrides; no /usr/share/licenses (Debian keeps licences
#         in the copyright file).
#   .rpm: /usr/share/licenses/iptmode/LICENSE (%license); none of the
#         Debian files; the zsh completion in site-functions, the directory
#         Fedora's, RHEL's and SUSE's zsh read (vendor-completions is
#         Debian's).
# Then every staged file and directory gets the time SOURCE_DATE_EPOCH says
# (packaging/cpack_project.cmake), whatever its checkout or build time was,
# so that two builds of one tree give the same packages byte for byte.
set(_root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
if(NOT IS_DIRECTORY "${_root}/usr")
  message(FATAL_ERROR "cpack_pre_build.cmake: no usr/ under ${_root}")
endif()
if(CPACK_GENERATOR STREQUAL "DEB")
  file(REMOVE_RECURSE "${_root}/usr/share/licenses")
elseif(CPACK_GENERATOR STREQUAL "RPM")
  file(REMOVE
    "${_root}/usr/share/doc/iptmode/copyright"
    "${_root}/usr/share/doc/iptmode/changelog.Debian.gz")
  file(REMOVE_RECURSE "${_root}/usr/share/lintian")
  file(MAKE_DIRECTORY "${_root}/usr/share/zsh/site-functions")
  # 0755 whatever the umask (as CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS).
  file(CHMOD "${_root}/usr/share/zsh/site-functions" PERMISSIONS OWNER_READ OWNER_WRITE
       OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(RENAME "${_root}/usr/share/zsh/vendor-completions/_iptmode"
       "${_root}/usr/share/zsh/site-functions/_iptmode")
  file(REMOVE_RECURSE "${_root}/usr/share/zsh/vendor-completions")
else()
  message(FATAL_ERROR "cpack_pre_build.cmake: no layout for generator ${CPACK_GENERATOR}")
endif()

if(NOT "$ENV{SOURCE_DATE_EPOCH}" MATCHES "^[0-9]+$")
  message(FATAL_ERROR "cpack_pre_build.cmake: SOURCE_DATE_EPOCH is not set (cpack_project.cmake)")
endif()
execute_process(COMMAND find "${_root}" -exec touch -h -d "@$ENV{SOURCE_DATE_EPOCH}" {} +
                COMMAND_ERROR_IS_FATAL ANY)
