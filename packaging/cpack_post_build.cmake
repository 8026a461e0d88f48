# Runs in CPack after each package is written (CPACK_POST_BUILD_SCRIPTS).
#   .deb: adds Built-Using (packaging/built_using.cmake), a field CPack does
#         not write, and rebuilds the package with dpkg-deb, which sorts its
#         members, takes every time from SOURCE_DATE_EPOCH and compresses
#         with one thread (xz's multi-threaded output differs from its
#         single-threaded one: a build on another machine would differ).
#   .rpm: nothing to add; rpmbuild itself is made reproducible by the
#         defines in packaging.cmake.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
foreach(_deb IN LISTS CPACK_PACKAGE_FILES)
  if(NOT _deb MATCHES "\\.deb$")
    continue()
  endif()
  set(_tree "${_deb}.tree")
  file(REMOVE_RECURSE "${_tree}")
  execute_process(COMMAND dpkg-deb -R "${_deb}" "${_tree}" COMMAND_ERROR_IS_FATAL ANY)
  if(NOT CPACK_IPTMODE_BUILT_USING STREQUAL "")
    file(READ "${_tree}/DEBIAN/control" _control)
    if(_control MATCHES "\nBuilt-Using:")
      message(FATAL_ERROR "cpack_post_build.cmake: ${_deb} has a Built-Using field already")
    endif()
    string(REPLACE "\nDescription:" "\nBuilt-Using: ${CPACK_IPTMODE_BUILT_USING}\nDescription:"
                   _control "${_control}")
    file(WRITE "${_tree}/DEBIAN/control" "${_control}")
  endif()
  # The control files dpkg-deb -R just wrote have today's time.
  execute_process(COMMAND find "${_tree}" -exec touch -h -d "@$ENV{SOURCE_DATE_EPOCH}" {} +
                  COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND dpkg-deb --root-owner-group -Zxz --threads-max=1 --build "${_tree}" "${_deb}"
                  OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
  file(REMOVE_RECURSE "${_tree}")
endforeach()
