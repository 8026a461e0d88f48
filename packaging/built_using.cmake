# What the packaged binaries carry from other packages, named for each
# format: the .deb's Built-Using (Debian policy 7.8: static linking, here
# also the header-only libraries compiled in) and the .rpm's
# Provides: bundled(NAME) = VERSION (Fedora's bundling convention).
# Included by packaging.cmake; sets IPTMODE_BUILT_USING and
# IPTMODE_RPM_BUNDLED. Without dpkg-query (not a Debian build machine) both
# stay empty and a warning says so.

set(_files)
# The shim is static: glibc (libc.a) and libgcc. iptmode links libgcc's and
# glibc's start files and libc_nonshared.a in any case.
foreach(_lib libc.a libgcc.a)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${_lib}
                  OUTPUT_VARIABLE _path OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND _files ${_path})
endforeach()
# The audit's parsers, always static; the header-only CLI and JSON libraries.
get_target_property(_pugixml pugixml::static LOCATION)
list(APPEND _files ${_pugixml} ${IPTMODE_YAML_STATIC}
     ${CLI11_DIR}/CLI11Config.cmake ${nlohmann_json_DIR}/nlohmann_jsonConfig.cmake)
if(IPTMODE_PORTABLE AND NOT IPTMODE_SANITIZE)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.a
                  OUTPUT_VARIABLE _path OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND _files ${_path} ${IPTMODE_NFTNL_STATIC} ${fmt_DIR}/fmt-config.cmake)
endif()
set(_sysroot)
if(IPTMODE_GLIBC_SYSROOT)
  set(_sysroot --sysroot ${IPTMODE_GLIBC_SYSROOT})
endif()

set(IPTMODE_BUILT_USING "")
set(IPTMODE_RPM_BUNDLED "")
find_program(IPTMODE_DPKG_QUERY dpkg-query)
if(NOT IPTMODE_DPKG_QUERY)
  message(WARNING "no dpkg-query: the .deb gets no Built-Using and the .rpm no bundled() Provides")
  return()
endif()
execute_process(COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/built-using.sh ${_sysroot} ${_files}
                OUTPUT_VARIABLE _sources RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "packaging/built-using.sh: ${_err}")
endif()
string(STRIP "${_sources}" _sources)
string(REPLACE "\n" ";" _sources "${_sources}")
set(_deb)
set(_rpm)
foreach(_line IN LISTS _sources)
  string(REPLACE " " ";" _pair "${_line}")
  list(GET _pair 0 _src)
  list(GET _pair 1 _ver)
  list(APPEND _deb "${_src} (= ${_ver})")
  # The toolchain (compiler runtime, C library) is no bundled library.
  if(NOT _src MATCHES "^(gcc-[0-9]+|glibc)$")
    # Upstream version: no epoch, Debian revision or repack suffix.
    string(REGEX REPLACE "^[0-9]+:" "" _up "${_ver}")
    string(REGEX REPLACE "-[^-]*$" "" _up "${_up}")
    string(REGEX REPLACE "[+~](ds|dfsg)[0-9]*$" "" _up "${_up}")
    list(APPEND _rpm "bundled(${_src}) = ${_up}")
  endif()
endforeach()
string(REPLACE ";" ", " IPTMODE_BUILT_USING "${_deb}")
string(REPLACE ";" ", " IPTMODE_RPM_BUNDLED "${_rpm}")
