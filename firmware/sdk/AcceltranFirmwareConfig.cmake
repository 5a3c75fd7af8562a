# The firmware SDK of acceltran-vp, as `cmake --install` puts it under a prefix:
#   include/acceltran-fw/      acceltran_regs.h (registers), hal.h, riscv_csr.h, acc_driver.h, fw_job.h, fw_bert.h, fw_gpt2.h
#   share/acceltran-fw/src/    crt0.S, firmware.ld, hal_riscv.c, hal_common.c, acc_driver.c, acc_gemm.c
#   share/cmake/AcceltranFirmware/  this file, acceltran_firmware.cmake, riscv32-picolibc.cmake (toolchain)
# An app's CMakeLists.txt (firmware/sdk-example):
#   project(my_app C ASM)
#   find_package(AcceltranFirmware REQUIRED)
#   acceltran_firmware_elf(my_app main.c)     # my_app.elf: acceltran-vp --cpu riscv --firmware my_app.elf
# configured with -DCMAKE_TOOLCHAIN_FILE=<prefix>/share/cmake/AcceltranFirmware/riscv32-picolibc.cmake
# and -DCMAKE_PREFIX_PATH=<prefix>.
get_filename_component(_acceltran_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(ACCELTRAN_FIRMWARE_TOOLCHAIN "${CMAKE_CURRENT_LIST_DIR}/riscv32-picolibc.cmake")
if(NOT CMAKE_SYSTEM_PROCESSOR STREQUAL "riscv32")
  message(FATAL_ERROR "AcceltranFirmware builds RV32IM apps: configure with "
                      "-DCMAKE_TOOLCHAIN_FILE=${ACCELTRAN_FIRMWARE_TOOLCHAIN}")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/acceltran_firmware.cmake")
if(NOT TARGET acceltran_fw)
  set(_src "${_acceltran_prefix}/share/acceltran-fw/src")
  acceltran_firmware_setup(
    INCLUDE_DIRS "${_acceltran_prefix}/include/acceltran-fw"
    RUNTIME_SOURCES "${_src}/crt0.S" "${_src}/hal_riscv.c"
    LIBRARY_SOURCES "${_src}/hal_common.c" "${_src}/acc_driver.c" "${_src}/acc_gemm.c"
    LINKER_SCRIPT "${_src}/firmware.ld")
endif()
set(AcceltranFirmware_FOUND TRUE)
