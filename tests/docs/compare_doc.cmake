cmake_minimum_required(VERSION 3.22)
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${GENERATED} ${COMMITTED} RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "${COMMITTED} is out of date with platform/regmap.yaml.\n"
                      "Regenerate it: cmake --build build --target regmap-doc")
endif()
