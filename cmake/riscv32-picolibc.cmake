# CMake toolchain file for the RISC-V firmware: Debian's gcc-riscv64-unknown-elf (a multilib GCC
# that also targets RV32) with picolibc-riscv64-unknown-elf as the C library, for an RV32IM core
# (no compressed instructions: the riscv CPU model counts instructions as block bytes / 4).
#
# The main build uses it for firmware/riscv (an ExternalProject). On its own:
#   cmake -S firmware/riscv -B build-fw -G Ninja -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/riscv32-picolibc.cmake \
#         -DACC_GENERATED_DIR=$PWD/build/generated "-DACC_FIRMWARE_SOURCES=<files>"
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)

find_program(ACC_RISCV_GCC riscv64-unknown-elf-gcc)
if(NOT ACC_RISCV_GCC)
  message(FATAL_ERROR "riscv64-unknown-elf-gcc not found: install gcc-riscv64-unknown-elf and "
                      "picolibc-riscv64-unknown-elf (tools/setup-debian.sh does)")
endif()
set(CMAKE_C_COMPILER ${ACC_RISCV_GCC})
set(CMAKE_ASM_COMPILER ${ACC_RISCV_GCC})

# zicsr: GCC 12 follows the 2019 ISA spec, where the CSR instructions are their own extension.
set(ACC_RISCV_ARCH "-march=rv32im_zicsr -mabi=ilp32")
set(CMAKE_C_FLAGS_INIT "${ACC_RISCV_ARCH} --specs=picolibc.specs")
set(CMAKE_ASM_FLAGS_INIT "${ACC_RISCV_ARCH}")
# GCC 12 picks the rv32im/ilp32 multilib of libgcc and picolibc only for an -march without the
# _zicsr suffix: the link step says rv32im (the last -march wins). The firmware brings its own
# startup code and linker script (firmware/hal/riscv).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-march=rv32im -mabi=ilp32 -nostartfiles")

# Bare metal: the compiler checks can build a library but not a program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
