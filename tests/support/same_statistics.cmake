# Runs one job twice, A and B, and fails unless the runs agree: the same firmware console output
# and the same value of every statistic of A except the simulator's own (sim.*) and the
# provenance (which records how A and B were asked for, so differs by design). A statistic only
# B has (e.g. the riscv CPU's instruction count) is not compared. dram.result_digest makes "the
# same statistics" include "the same results in DRAM".
#   cmake -DVP=<acceltran-vp> "-DARGS=arg|arg|..." "-DA=arg|..." "-DB=arg|..." -DOUT=<file prefix>
#         -P same_statistics.cmake
# ARGS are common to both runs, A and B are added to one each.
cmake_minimum_required(VERSION 3.22)

foreach(run A B)
  string(REPLACE "|" ";" common "${ARGS}")
  string(REPLACE "|" ";" extra "${${run}}")
  execute_process(COMMAND ${VP} ${common} ${extra} --stats-out ${OUT}.${run}.json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE "|" " " label_${run} "${${run}}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the job failed with ${label_${run}} (exit ${rc}):\n${out}${err}")
  endif()
  string(REGEX MATCHALL "\\[fw\\][^\n]*" console_${run} "${out}")
  file(READ ${OUT}.${run}.json stats_${run})
endforeach()

if(NOT console_A STREQUAL console_B)
  message(FATAL_ERROR "the firmware printed different text:\n${label_A}: ${console_A}\n${label_B}: ${console_B}")
endif()

# Appends "path: A's value, B's value" to `diffs` for every leaf of A's JSON object at `path` (a
# list of keys) whose value in B differs.
function(compare path)
  string(JSON type TYPE "${stats_A}" ${path})
  if(type STREQUAL "OBJECT")
    string(JSON n LENGTH "${stats_A}" ${path})
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON key MEMBER "${stats_A}" ${path} ${i})
      compare("${path};${key}")
    endforeach()
  else()
    string(JSON want GET "${stats_A}" ${path})
    string(JSON got ERROR_VARIABLE missing GET "${stats_B}" ${path})
    if(missing)
      set(got "missing")
    endif()
    if(NOT want STREQUAL got)
      string(REPLACE ";" "." name "${path}")
      string(APPEND diffs "  ${name}: ${want} with ${label_A}, ${got} with ${label_B}\n")
    endif()
  endif()
  set(diffs "${diffs}" PARENT_SCOPE)
endfunction()

set(diffs "")
string(JSON n LENGTH "${stats_A}")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON key MEMBER "${stats_A}" ${i})
  if(NOT key STREQUAL "sim" AND NOT key STREQUAL "provenance")
    compare(${key})
  endif()
endforeach()
if(diffs)
  message(FATAL_ERROR "the runs disagree:\n${diffs}")
endif()
string(JSON digest GET "${stats_A}" dram result_digest)
message(STATUS "same firmware output, results (DRAM digest ${digest}) and statistics with ${label_A} and ${label_B}")
