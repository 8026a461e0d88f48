# Runs in CPack after the files are staged, once per generator: drops what
# only the other package format should carry.
#   .deb: /usr/share/doc/iptmode/copyright and changelog.Debian.gz, and the
#         lintian overrides; no /usr/share/licenses (Debian keeps licences
#         in the copyright file).
#   .rpm: /usr/share/licenses/iptmode/LICENSE (%license); none of the
#         Debian files.
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
else()
  message(FATAL_ERROR "cpack_pre_build.cmake: no layout for generator ${CPACK_GENERATOR}")
endif()
