# Runs one job on both CPU backends and fails unless they agree: the same firmware console
# output and the same value of every statistic except the simulator's own (sim.*) and those only
# one backend has (the riscv CPU's instruction and interrupt counts). dram.result_digest makes
# "the same statistics" include "the same results in DRAM".
#   cmake -DVP=<acceltran-vp> "-DARGS=arg|arg|..." -DOUT=<file prefix> -P same_as_native.cmake
cmake_minimum_required(VERSION 3.22)
string(REPLACE "|" ";" args "${ARGS}")

foreach(cpu native riscv)
  execute_process(COMMAND ${VP} ${args} --cpu ${cpu} --stats-out ${OUT}.${cpu}.json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the job failed on the ${cpu} CPU (exit ${rc}):\n${out}${err}")
  endif()
  string(REGEX MATCHALL "\\[fw\\][^\n]*" console_${cpu} "${out}")
  file(READ ${OUT}.${cpu}.json stats_${cpu})
endforeach()

if(NOT console_native STREQUAL console_riscv)
  message(FATAL_ERROR "the firmware printed different text:\nnative: ${console_native}\nriscv:  ${console_riscv}")
endif()

# Appends "path: native X, riscv Y" to `diffs` for every leaf of the native JSON object at
# `path` (a list of keys) whose riscv value differs.
function(compare path)
  string(JSON type TYPE "${stats_native}" ${path})
  if(type STREQUAL "OBJECT")
    string(JSON n LENGTH "${stats_native}" ${path})
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON key MEMBER "${stats_native}" ${path} ${i})
      compare("${path};${key}")
    endforeach()
  else()
    string(JSON want GET "${stats_native}" ${path})
    string(JSON got ERROR_VARIABLE missing GET "${stats_riscv}" ${path})
    if(missing)
      set(got "missing")
    endif()
    if(NOT want STREQUAL got)
      string(REPLACE ";" "." name "${path}")
      string(APPEND diffs "  ${name}: native ${want}, riscv ${got}\n")
    endif()
  endif()
  set(diffs "${diffs}" PARENT_SCOPE)
endfunction()

set(diffs "")
string(JSON n LENGTH "${stats_native}")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON key MEMBER "${stats_native}" ${i})
  if(NOT key STREQUAL "sim")
    compare(${key})
  endif()
endforeach()
if(diffs)
  message(FATAL_ERROR "the backends disagree:\n${diffs}")
endif()
string(JSON digest GET "${stats_riscv}" dram result_digest)
string(JSON instructions GET "${stats_riscv}" cpu instructions)
message(STATUS "same results (DRAM digest ${digest}) and statistics; ${instructions} RISC-V instructions")
