# Installation layout, CPack (one .deb and one .rpm named iptmode), and the
# packaging checks (tests/packaging/). Included at the end of the top-level
# CMakeLists.txt, after the iptmode and iptmode-shim targets exist.
#
# Build both packages from a clean build directory, with Debian's hardening
# flags: packaging/build-packages.sh [BUILD_DIR]. A plain
#   cmake -S . -B build-pkg -DCMAKE_BUILD_TYPE=Release && cmake --build build-pkg
#   (cd build-pkg && cpack -G "DEB;RPM")
# gives packages as reproducible and as hardened (CMakeLists.txt's
# IPTMODE_HARDENING), linked against this machine's glibc.
#
# Paths under /usr are relative to the packaging prefix (/usr). Only
# /etc/iptmode/iptmode.conf has an absolute destination: CPack's RPM
# generator marks every absolute destination %config, and that file is the
# one that should be.

set(IPTMODE_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})
set(IPTMODE_PKG_OUT ${CMAKE_BINARY_DIR}/packaging)

set(IPTMODE_PACKAGE_MAINTAINER "iptmode maintainers <maintainers@iptmode.invalid>"
    CACHE STRING "Maintainer of the .deb and Packager of the .rpm (\"Name <address>\")")
set(IPTMODE_PACKAGE_RELEASE "1" CACHE STRING "Debian revision and RPM release of the packages")
set(IPTMODE_HOMEPAGE "https://iptmode.invalid/"
    CACHE STRING "Homepage of the .deb and URL of the .rpm")

# Directories the packages create get 0755 whatever the umask.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# --- The release date, from CHANGELOG.md's entry for this version ---------
# "## [X.Y.Z] - YYYY-MM-DD". Without one, today (a warning says so).
file(READ ${CMAKE_SOURCE_DIR}/CHANGELOG.md _iptmode_changelog)
string(REPLACE "." "\\." _iptmode_version_re "${PROJECT_VERSION}")
if(_iptmode_changelog MATCHES
   "\n## \\[${_iptmode_version_re}\\] - ([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])")
  set(_y ${CMAKE_MATCH_1})
  set(_m ${CMAKE_MATCH_2})
  set(_d ${CMAKE_MATCH_3})
  math(EXPR _m "${_m}")  # drop leading zeros: math() reads 08 as octal otherwise
  math(EXPR _d "${_d}")
  # Days since 1970-01-01 (H. Hinnant's days_from_civil), for SOURCE_DATE_EPOCH.
  if(_m LESS_EQUAL 2)
    math(EXPR _y "${_y} - 1")
    math(EXPR _mp "${_m} + 9")
  else()
    math(EXPR _mp "${_m} - 3")
  endif()
  math(EXPR _era "${_y} / 400")
  math(EXPR _yoe "${_y} - ${_era} * 400")
  math(EXPR _doy "(153 * ${_mp} + 2) / 5 + ${_d} - 1")
  math(EXPR _doe "${_yoe} * 365 + ${_yoe} / 4 - ${_yoe} / 100 + ${_doy}")
  math(EXPR IPTMODE_RELEASE_EPOCH "(${_era} * 146097 + ${_doe} - 719468) * 86400")
else()
  message(WARNING "CHANGELOG.md has no \"## [${PROJECT_VERSION}] - YYYY-MM-DD\" entry: "
                  "the packages' changelogs use today's date")
  string(TIMESTAMP IPTMODE_RELEASE_EPOCH "%s" UTC)
endif()
set(_iptmode_saved_sde "$ENV{SOURCE_DATE_EPOCH}")
set(ENV{SOURCE_DATE_EPOCH} ${IPTMODE_RELEASE_EPOCH})
string(TIMESTAMP IPTMODE_MAN_DATE "%Y-%m-%d" UTC)
string(TIMESTAMP IPTMODE_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
string(TIMESTAMP IPTMODE_RPM_DATE "%a %b %d %Y" UTC)
set(ENV{SOURCE_DATE_EPOCH} "${_iptmode_saved_sde}")

# --- Generated files: manual pages and changelogs, gzipped -9n -------------
find_program(IPTMODE_GZIP gzip REQUIRED)
configure_file(${IPTMODE_PKG_DIR}/man/iptmode.8 ${IPTMODE_PKG_OUT}/man/iptmode.8 @ONLY)
configure_file(${IPTMODE_PKG_DIR}/man/iptmode-shim.8 ${IPTMODE_PKG_OUT}/man/iptmode-shim.8 @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/CHANGELOG.md ${IPTMODE_PKG_OUT}/doc/changelog COPYONLY)
file(CONFIGURE OUTPUT ${IPTMODE_PKG_OUT}/doc/changelog.Debian CONTENT
"iptmode (${PROJECT_VERSION}-${IPTMODE_PACKAGE_RELEASE}) unstable; urgency=medium

  * Release ${PROJECT_VERSION}; the changes are in /usr/share/doc/iptmode/changelog.gz.

 -- ${IPTMODE_PACKAGE_MAINTAINER}  ${IPTMODE_DEB_DATE}
")
file(CONFIGURE OUTPUT ${IPTMODE_PKG_OUT}/rpm/changelog CONTENT
"* ${IPTMODE_RPM_DATE} ${IPTMODE_PACKAGE_MAINTAINER} - ${PROJECT_VERSION}-${IPTMODE_PACKAGE_RELEASE}
- Release ${PROJECT_VERSION}; the changes are in /usr/share/doc/iptmode/changelog.gz
")

set(_iptmode_gz)
foreach(f man/iptmode.8 man/iptmode-shim.8 doc/changelog doc/changelog.Debian)
  add_custom_command(
    OUTPUT ${IPTMODE_PKG_OUT}/${f}.gz
    COMMAND ${IPTMODE_GZIP} -9nkf ${IPTMODE_PKG_OUT}/${f}
    DEPENDS ${IPTMODE_PKG_OUT}/${f}
    COMMENT "Compressing ${f}"
    VERBATIM)
  list(APPEND _iptmode_gz ${IPTMODE_PKG_OUT}/${f}.gz)
endforeach()
# Shell completions, from the built iptmode's own command tree.
foreach(shell bash zsh fish)
  add_custom_command(
    OUTPUT ${IPTMODE_PKG_OUT}/completion/iptmode.${shell}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${IPTMODE_PKG_OUT}/completion
    COMMAND $<TARGET_FILE:iptmode> completion ${shell} > ${IPTMODE_PKG_OUT}/completion/iptmode.${shell}
    DEPENDS iptmode
    COMMENT "Shell completion for ${shell}")
  list(APPEND _iptmode_gz ${IPTMODE_PKG_OUT}/completion/iptmode.${shell})
endforeach()
add_custom_target(iptmode_package_files ALL DEPENDS ${_iptmode_gz})

# --- Installation layout (prefix /usr in the packages) --------------------
install(TARGETS iptmode RUNTIME DESTINATION sbin)
install(TARGETS iptmode-shim RUNTIME DESTINATION libexec/iptmode)
install(FILES ${IPTMODE_PKG_DIR}/iptmode.conf DESTINATION /etc/iptmode)
install(FILES
          ${IPTMODE_PKG_DIR}/systemd/iptmode-shim-watch.service
          ${IPTMODE_PKG_DIR}/systemd/iptmode-audit.service
          ${IPTMODE_PKG_DIR}/systemd/iptmode-audit.timer
        DESTINATION lib/systemd/system)
install(FILES
          ${IPTMODE_PKG_DIR}/firewalld/k0s-controller.xml
          ${IPTMODE_PKG_DIR}/firewalld/k0s-worker.xml
          ${IPTMODE_PKG_DIR}/firewalld/k0s-cplb.xml
        DESTINATION lib/firewalld/services)
install(FILES ${IPTMODE_PKG_OUT}/completion/iptmode.bash
        DESTINATION share/bash-completion/completions RENAME iptmode)
install(FILES ${IPTMODE_PKG_OUT}/completion/iptmode.zsh
        DESTINATION share/zsh/vendor-completions RENAME _iptmode)
install(FILES ${IPTMODE_PKG_OUT}/completion/iptmode.fish
        DESTINATION share/fish/vendor_completions.d RENAME iptmode.fish)
install(FILES ${IPTMODE_PKG_OUT}/man/iptmode.8.gz ${IPTMODE_PKG_OUT}/man/iptmode-shim.8.gz
        DESTINATION share/man/man8)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${IPTMODE_PKG_OUT}/doc/changelog.gz
        DESTINATION share/doc/iptmode)
# Debian only (packaging/cpack_pre_build.cmake drops them from the .rpm):
install(FILES ${IPTMODE_PKG_DIR}/deb/copyright ${IPTMODE_PKG_OUT}/doc/changelog.Debian.gz
        DESTINATION share/doc/iptmode)
install(FILES ${IPTMODE_PKG_DIR}/deb/lintian-overrides
        DESTINATION share/lintian/overrides RENAME iptmode)
# RPM only (dropped from the .deb, which has the copyright file instead):
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION share/licenses/iptmode)

# --- CPack ----------------------------------------------------------------
set(CPACK_PACKAGE_NAME iptmode)
set(CPACK_PACKAGE_VENDOR "The iptmode authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${IPTMODE_PACKAGE_MAINTAINER}")
# The .deb's Homepage and the .rpm's URL.
set(CPACK_PACKAGE_HOMEPAGE_URL "${IPTMODE_HOMEPAGE}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# Read here, not through CPACK_PACKAGE_DESCRIPTION_FILE: CPack 3.25 XML-escapes
# that file's apostrophes into the .deb's Description.
file(READ ${IPTMODE_PKG_DIR}/description.txt IPTMODE_DESCRIPTION)
string(STRIP "${IPTMODE_DESCRIPTION}" IPTMODE_DESCRIPTION)
set(CPACK_PACKAGE_DESCRIPTION "${IPTMODE_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${IPTMODE_DESCRIPTION}")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${IPTMODE_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_PRE_BUILD_SCRIPTS ${IPTMODE_PKG_DIR}/cpack_pre_build.cmake)
set(CPACK_POST_BUILD_SCRIPTS ${IPTMODE_PKG_DIR}/cpack_post_build.cmake)
# Reproducible packages on every path, a plain `cpack` too: cpack_project.cmake
# sets SOURCE_DATE_EPOCH (the last commit's time) when it is not set, and
# cpack_pre_build.cmake gives every staged file that time.
set(CPACK_PROJECT_CONFIG_FILE ${IPTMODE_PKG_DIR}/cpack_project.cmake)
set(CPACK_IPTMODE_SOURCE_DIR ${CMAKE_SOURCE_DIR})
set(CPACK_IPTMODE_RELEASE_EPOCH ${IPTMODE_RELEASE_EPOCH})
find_program(IPTMODE_GIT git)
set(CPACK_IPTMODE_GIT "${IPTMODE_GIT}")
include(${IPTMODE_PKG_DIR}/built_using.cmake)
set(CPACK_IPTMODE_BUILT_USING "${IPTMODE_BUILT_USING}")

# Debian
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${IPTMODE_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${IPTMODE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries come from dpkg-shlibdeps; iptables is what the shim
# and `iptmode shim uninstall` hand the node to.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iptables")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "firewalld, prometheus-node-exporter")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${IPTMODE_PKG_DIR}/deb/conffiles
    ${IPTMODE_PKG_DIR}/deb/postinst
    ${IPTMODE_PKG_DIR}/deb/prerm
    ${IPTMODE_PKG_DIR}/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Built-Using: cpack_post_build.cmake adds it (CPack has no such field).

# RPM
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE ${IPTMODE_PACKAGE_RELEASE})
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Base")
set(CPACK_RPM_PACKAGE_REQUIRES "iptables")
# The scriptlets call systemctl (what %systemd_requires says).
set(CPACK_RPM_PACKAGE_REQUIRES_POST "systemd")
set(CPACK_RPM_PACKAGE_REQUIRES_PREUN "systemd")
set(CPACK_RPM_PACKAGE_REQUIRES_POSTUN "systemd")
set(CPACK_RPM_PACKAGE_PROVIDES "${IPTMODE_RPM_BUNDLED}")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_AUTOPROV ON)
set(CPACK_RPM_CHANGELOG_FILE ${IPTMODE_PKG_OUT}/rpm/changelog)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${IPTMODE_PKG_DIR}/rpm/post.sh)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${IPTMODE_PKG_DIR}/rpm/preun.sh)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${IPTMODE_PKG_DIR}/rpm/postun.sh)
# The conffile, not replaced on upgrade once edited; the licence as %license.
set(CPACK_RPM_USER_FILELIST
    "%config(noreplace) /etc/iptmode/iptmode.conf"
    "%license /usr/share/licenses/iptmode/LICENSE")
# The package owns its own directories and those it puts files in that no
# package it requires owns: filesystem owns /usr/sbin and the rest of the
# FHS, systemd the unit directory. firewalld's services directory and the
# completion directories belong to packages iptmode does not need
# (firewalld-filesystem, which SUSE lacks; bash-completion, zsh, fish), so
# it co-owns them, as Fedora's packaging guidelines allow: an erase leaves
# none behind that no other package owns.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /usr/sbin /usr/libexec /usr/lib/systemd /usr/lib/systemd/system
    /usr/share/man /usr/share/man/man8 /usr/share/licenses
    /var /var/lib)
# The Packager tag; no /usr/lib/.build-id links in the file list; the
# header's build time and host, and every file's time, fixed for
# reproducible builds (SOURCE_DATE_EPOCH, cpack_project.cmake).
string(CONCAT CPACK_RPM_SPEC_MORE_DEFINE
    "%define packager ${IPTMODE_PACKAGE_MAINTAINER}\n"
    "%define _build_id_links none\n"
    "%define use_source_date_epoch_as_buildtime 1\n"
    "%define clamp_mtime_to_source_date_epoch 1\n"
    "%define _buildhost reproducible")

include(CPack)

# --- Checks (tests/packaging/) ------------------------------------------------
# packaging/build builds both packages from a clean directory (about two
# minutes on two cores) and unpacks the .deb; the other checks use what it
# left in ${IPTMODE_PKG_TEST_DIR}. A check whose tool is missing skips (77),
# or fails under CI=true. The ones that install packages run alone.
if(BUILD_TESTING)
  set(IPTMODE_PKG_TEST_DIR ${CMAKE_BINARY_DIR}/packaging-test)
  set(_t ${CMAKE_SOURCE_DIR}/tests/packaging)
  set(_args ${CMAKE_SOURCE_DIR} ${IPTMODE_PKG_TEST_DIR})
  add_test(NAME packaging/build COMMAND bash ${_t}/build_packages.sh ${_args})
  set_tests_properties(packaging/build PROPERTIES
    FIXTURES_SETUP iptmode_packages TIMEOUT 900 RUN_SERIAL TRUE)
  foreach(check lint units firewalld manpages portable)
    add_test(NAME packaging/${check} COMMAND bash ${_t}/${check}.sh ${_args})
    set_tests_properties(packaging/${check} PROPERTIES FIXTURES_REQUIRED iptmode_packages)
  endforeach()
  add_test(NAME packaging/deb-install COMMAND bash ${_t}/deb_install.sh ${_args})
  add_test(NAME packaging/rpm-root COMMAND bash ${_t}/rpm_root.sh ${_args})
  add_test(NAME packaging/units-security COMMAND bash ${_t}/units_security.sh ${_args})
  # Relinks in packaging/build's directory: alone, so no check reads a
  # program while it is relinked.
  add_test(NAME packaging/reproducible COMMAND bash ${_t}/reproducible.sh ${_args})
  set_tests_properties(packaging/deb-install packaging/rpm-root packaging/portable
    packaging/units-security packaging/reproducible PROPERTIES
    FIXTURES_REQUIRED iptmode_packages RUN_SERIAL TRUE)
  add_test(NAME packaging/manifests COMMAND /usr/bin/python3 ${_t}/manifests.py ${_args})
  set_tests_properties(packaging/manifests PROPERTIES FIXTURES_REQUIRED iptmode_packages)
  add_test(NAME packaging/alerts COMMAND bash ${_t}/alerts.sh ${_args})
  # This tree's own programs, as any `cmake .. && make` builds them.
  if(IPTMODE_HARDENING AND NOT IPTMODE_SANITIZE)
    add_test(NAME packaging/hardening COMMAND bash ${_t}/hardening.sh
             $<TARGET_FILE:iptmode> $<TARGET_FILE:iptmode-shim> "${CMAKE_BUILD_TYPE}")
    set_tests_properties(packaging/hardening PROPERTIES SKIP_RETURN_CODE 77 LABELS packaging)
  endif()
  set_tests_properties(
    packaging/build packaging/lint packaging/units packaging/firewalld packaging/manpages packaging/portable
    packaging/deb-install packaging/rpm-root packaging/units-security packaging/manifests packaging/alerts
    packaging/reproducible PROPERTIES SKIP_RETURN_CODE 77 LABELS packaging
    ENVIRONMENT "IPTMODE_VERSION=${PROJECT_VERSION};IPTMODE_RELEASE=${IPTMODE_PACKAGE_RELEASE};IPTMODE_SUMMARY=${PROJECT_DESCRIPTION};IPTMODE_MAINTAINER=${IPTMODE_PACKAGE_MAINTAINER}")
endif()
