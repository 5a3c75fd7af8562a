# How an RV32IM firmware ELF for acceltran-vp's riscv CPU is built: startup code, HAL, driver,
# linker script, flags. Used by the in-tree cross build (firmware/riscv/CMakeLists.txt) with the
# source tree's files, and by the installed SDK (AcceltranFirmwareConfig.cmake) with the installed
# ones, so that an app built out of tree is built exactly as the built-in firmware.
#
# acceltran_firmware_setup(INCLUDE_DIRS dir... RUNTIME_SOURCES crt0.S hal_riscv.c
#                          LIBRARY_SOURCES file... LINKER_SCRIPT firmware.ld)
#   targets acceltran_fw_runtime (startup code and HAL primitives, linked whole) and acceltran_fw
#   (an archive of the rest: an app takes only what it uses)
# acceltran_firmware_elf(name source...)
#   name.elf (with debug information and frame pointers, for gdb and the fault reports) and name.map
enable_language(ASM)

function(acceltran_firmware_setup)
  cmake_parse_arguments(A "" "LINKER_SCRIPT" "INCLUDE_DIRS;RUNTIME_SOURCES;LIBRARY_SOURCES" ${ARGN})
  # Frame pointers: fault and stall reports walk them to name the call chain.
  set(flags -O2 -g -fno-omit-frame-pointer -Wall -Wextra -ffunction-sections -fdata-sections)
  add_library(acceltran_fw_runtime OBJECT ${A_RUNTIME_SOURCES})
  add_library(acceltran_fw STATIC ${A_LIBRARY_SOURCES})
  foreach(t acceltran_fw_runtime acceltran_fw)
    target_compile_options(${t} PUBLIC ${flags})
    target_include_directories(${t} PUBLIC ${A_INCLUDE_DIRS})
  endforeach()
  set_property(GLOBAL PROPERTY ACCELTRAN_FW_LINKER_SCRIPT ${A_LINKER_SCRIPT})
endfunction()

function(acceltran_firmware_elf name)
  get_property(ld GLOBAL PROPERTY ACCELTRAN_FW_LINKER_SCRIPT)
  add_executable(${name} $<TARGET_OBJECTS:acceltran_fw_runtime> ${ARGN})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${ld})
  target_link_libraries(${name} PRIVATE acceltran_fw)
  target_link_options(${name} PRIVATE -T ${ld} -Wl,--gc-sections -Wl,--no-warn-rwx-segments
                      -Wl,-Map=$<TARGET_FILE_DIR:${name}>/${name}.map)
endfunction()
