# Read by cpack before each generator runs (CPACK_PROJECT_CONFIG_FILE).
# Reproducible packages: SOURCE_DATE_EPOCH, unless the caller set one, is
# the time of the source tree's last commit, or the release date from
# CHANGELOG.md where the tree is no git checkout (a release tarball). CPack's
# DEB generator, dpkg-deb and rpmbuild all take their times from it.
if("$ENV{SOURCE_DATE_EPOCH}" STREQUAL "")
  set(_sde "")
  if(CPACK_IPTMODE_GIT AND EXISTS "${CPACK_IPTMODE_SOURCE_DIR}/.git")
    execute_process(
      COMMAND "${CPACK_IPTMODE_GIT}" -C "${CPACK_IPTMODE_SOURCE_DIR}" log -1 --format=%ct
      OUTPUT_VARIABLE _sde OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      set(_sde "")
    endif()
  endif()
  if(NOT _sde MATCHES "^[0-9]+$")
    set(_sde "${CPACK_IPTMODE_RELEASE_EPOCH}")
  endif()
  set(ENV{SOURCE_DATE_EPOCH} "${_sde}")
endif()
