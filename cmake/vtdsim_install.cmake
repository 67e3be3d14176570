# Installs vtdsim::core (and vtdsim::sysc) with their headers, a CMake package
# (find_package(vtdsim) with components core and sysc) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(VTDSIM_INSTALL_TARGETS vtdsim_core)
if(VTDSIM_SYSTEMC)
  list(APPEND VTDSIM_INSTALL_TARGETS vtdsim_sysc)
endif()
install(TARGETS ${VTDSIM_INSTALL_TARGETS} EXPORT vtdsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vtdsim DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET vtdsim)
  install(TARGETS vtdsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(VTDSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vtdsim)
install(EXPORT vtdsimTargets NAMESPACE vtdsim:: DESTINATION ${VTDSIM_CMAKE_DIR})
# How the libraries found zstd (its CMake package, or pkg-config) and whether sysc exists: the
# package config repeats the same find calls for the consumer.
set(VTDSIM_ZSTD_VIA_PKGCONFIG OFF)
if(VTDSIM_ZSTD STREQUAL "PkgConfig::ZSTD")
  set(VTDSIM_ZSTD_VIA_PKGCONFIG ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vtdsimConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/vtdsimConfig.cmake INSTALL_DESTINATION ${VTDSIM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vtdsimConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vtdsimConfig.cmake ${PROJECT_BINARY_DIR}/vtdsimConfigVersion.cmake
        DESTINATION ${VTDSIM_CMAKE_DIR})

set(VTDSIM_PC_REQUIRES "yaml-cpp zlib libzstd")
set(VTDSIM_PC_LIBS "-lvtdsim_core")
if(VTDSIM_SYSTEMC)
  set(VTDSIM_PC_REQUIRES "${VTDSIM_PC_REQUIRES} systemc")
  set(VTDSIM_PC_LIBS "-lvtdsim_sysc -lvtdsim_core")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/vtdsim.pc.in ${PROJECT_BINARY_DIR}/vtdsim.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vtdsim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
