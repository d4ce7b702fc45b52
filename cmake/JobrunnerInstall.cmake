# Installs the library, its public headers and the CMake package that lets another project write
#   find_package(jobrunner CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE jobrunner::jobrunner)
include(CMakePackageConfigHelpers)

set(JOBRUNNER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/jobrunner)

install(TARGETS jobrunner EXPORT jobrunnerTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/jobrunner DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT jobrunnerTargets NAMESPACE jobrunner:: DESTINATION ${JOBRUNNER_CMAKE_DIR})

# A static jobrunner passes its private SQLite dependencies on to the program that links it.
get_target_property(jobrunner_type jobrunner TYPE)
set(JOBRUNNER_STATIC_DEPENDENCIES "")
if(jobrunner_type STREQUAL "STATIC_LIBRARY")
  set(JOBRUNNER_STATIC_DEPENDENCIES "find_dependency(SQLite3)\nfind_dependency(SQLiteCpp)\n")
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/jobrunnerConfig.cmake.in
  ${PROJECT_BINARY_DIR}/jobrunnerConfig.cmake INSTALL_DESTINATION ${JOBRUNNER_CMAKE_DIR})
# Before 1.0 a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/jobrunnerConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/jobrunnerConfig.cmake ${PROJECT_BINARY_DIR}/jobrunnerConfigVersion.cmake
  DESTINATION ${JOBRUNNER_CMAKE_DIR})
