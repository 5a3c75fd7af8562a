# Timing regression: runs golden jobs and compares their statistics with tests/timing/goldens.json.
#
#   cmake -DVP=<acceltran-vp> -DGOLDEN=<goldens.json> -DOUT=<dir> -DJOB=<name> -P golden.cmake
#       runs one job; fails with a table of the metrics that drifted.
#   cmake -DVP=<acceltran-vp> -DGOLDEN=<goldens.json> -DOUT=<dir> -DBLESS=1 -P golden.cmake
#       runs every job and rewrites the metrics in goldens.json (re-blessing).
#
# Each entry of goldens.json: "name": {"args": [simulator arguments], "metrics": {"stat.key": value}};
# "@GOLDEN_DIR@" in an argument is the directory of goldens.json (for data files such as thresholds).
# Metrics are integer counts (cycles, bytes, operations) and must match exactly.
cmake_minimum_required(VERSION 3.22)

file(READ ${GOLDEN} goldens)
get_filename_component(golden_dir ${GOLDEN} DIRECTORY)

function(run_job name out_json)
  string(JSON nargs LENGTH "${goldens}" ${name} args)
  set(args "")
  math(EXPR last "${nargs} - 1")
  foreach(i RANGE ${last})
    string(JSON a GET "${goldens}" ${name} args ${i})
    string(REPLACE "@GOLDEN_DIR@" "${golden_dir}" a "${a}")  # files beside goldens.json
    list(APPEND args "${a}")
  endforeach()
  execute_process(COMMAND ${VP} ${args} --quiet --stats-out ${OUT}/${name}.json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "timing job ${name} failed (exit ${rc}):\n${out}${err}")
  endif()
  file(READ ${OUT}/${name}.json stats)
  set(${out_json} "${stats}" PARENT_SCOPE)
endfunction()

# Value of a dotted key in the statistics JSON.
function(stat_value stats key out)
  string(REPLACE "." ";" path "${key}")
  string(JSON v ERROR_VARIABLE e GET "${stats}" ${path})
  if(e)
    set(v "missing")
  endif()
  set(${out} "${v}" PARENT_SCOPE)
endfunction()

if(BLESS)
  string(JSON njobs LENGTH "${goldens}")
  math(EXPR last "${njobs} - 1")
  foreach(j RANGE ${last})
    string(JSON name MEMBER "${goldens}" ${j})
    run_job(${name} stats)
    string(JSON nm LENGTH "${goldens}" ${name} metrics)
    math(EXPR mlast "${nm} - 1")
    foreach(m RANGE ${mlast})
      string(JSON key MEMBER "${goldens}" ${name} metrics ${m})
      stat_value("${stats}" ${key} v)
      if(v STREQUAL "missing")
        message(FATAL_ERROR "job ${name}: the statistics have no ${key}")
      endif()
      string(JSON goldens SET "${goldens}" ${name} metrics ${key} "${v}")
    endforeach()
    message(STATUS "blessed ${name}")
  endforeach()
  file(WRITE ${GOLDEN} "${goldens}\n")
  return()
endif()

run_job(${JOB} stats)
string(JSON nm LENGTH "${goldens}" ${JOB} metrics)
math(EXPR mlast "${nm} - 1")
set(table "")
set(drift 0)
foreach(m RANGE ${mlast})
  string(JSON key MEMBER "${goldens}" ${JOB} metrics ${m})
  string(JSON want GET "${goldens}" ${JOB} metrics ${key})
  stat_value("${stats}" ${key} got)
  set(mark "")
  if(got STREQUAL "missing")
    set(mark "  <-- missing")
  elseif(NOT "${want}" STREQUAL "${got}")
    if(want MATCHES "^-?[0-9]+$" AND got MATCHES "^-?[0-9]+$")
      math(EXPR delta "${got} - ${want}")
      set(mark "  <-- drift ${delta}")
    else()
      set(mark "  <-- differs")
    endif()
  endif()
  if(mark)
    math(EXPR drift "${drift} + 1")
  endif()
  string(APPEND table "  ${key}: golden ${want}, now ${got}${mark}\n")
endforeach()
if(drift GREATER 0)
  message(FATAL_ERROR "timing drift in ${JOB} (${drift} metrics):\n${table}"
                      "If the change is intended, re-bless: cmake --build <build> --target bless-timing")
endif()
message(STATUS "${JOB}: ${nm} metrics match\n${table}")
