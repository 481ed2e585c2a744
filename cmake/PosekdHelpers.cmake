# Helpers for the kinds of targets posekd has (STYLE item 12).

# posekd_version_string(OUT): "git describe" when built from a git checkout, else the VERSION
# file that `make -f Makefile.dist dist` puts into the tarball, else the project version.
function(posekd_version_string out)
  set(version "${PROJECT_VERSION}")
  if(EXISTS "${PROJECT_SOURCE_DIR}/VERSION")
    file(STRINGS "${PROJECT_SOURCE_DIR}/VERSION" version LIMIT_COUNT 1)
  endif()
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --dirty
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0)  # no tag yet: the project version and the commit
      execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty
                      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                      OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                      RESULT_VARIABLE rc ERROR_QUIET)
      set(described "${PROJECT_VERSION}+g${commit}")
    endif()
    if(rc EQUAL 0)
      set(version "${described}")
    endif()
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

# posekd_add_tool(NAME [TORCH]): apps/NAME.cpp linked against posekd_core, or against the
# LibTorch side when TORCH is given; installs the binary and man/man1/NAME.1 when present.
function(posekd_add_tool name)
  cmake_parse_arguments(ARG "TORCH" "" "" ${ARGN})
  add_executable(${name} ${PROJECT_SOURCE_DIR}/apps/${name}.cpp)
  if(ARG_TORCH)
    target_link_libraries(${name} PRIVATE posekd)
    target_precompile_headers(${name} REUSE_FROM posekd)
  else()
    target_link_libraries(${name} PRIVATE posekd_core)
  endif()
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  set(page ${PROJECT_SOURCE_DIR}/man/man1/${name}.1)
  if(EXISTS ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
  set_property(GLOBAL APPEND PROPERTY POSEKD_TOOLS ${name})
endfunction()

# posekd_add_cli_test(NAME SCRIPT [LABELS l...] [TIMEOUT s]): runs a shell script under
# tests/cli with the built tools first on PATH and a fresh scratch directory.
function(posekd_add_cli_test name script)
  cmake_parse_arguments(ARG "" "TIMEOUT" "LABELS" ${ARGN})
  set(work ${PROJECT_BINARY_DIR}/tests/cli-work/${name})
  add_test(NAME cli.${name}
           COMMAND ${CMAKE_COMMAND} -E env
                   "PATH=${PROJECT_BINARY_DIR}/bin:$ENV{PATH}"
                   "POSEKD_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
                   "POSEKD_BINARY_DIR=${PROJECT_BINARY_DIR}"
                   "POSEKD_TEST_WORK=${work}"
                   "POSEKD_REALDATA=${PROJECT_SOURCE_DIR}/../shared/realdata"
                   "OMP_WAIT_POLICY=PASSIVE"
                   bash ${PROJECT_SOURCE_DIR}/tests/cli/${script})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(cli.${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "cli;${ARG_LABELS}")
endfunction()
