# The firmware SDK from a scratch directory: installs it (cmake --install, component sdk), copies
# the example app there, builds it against the installed files only and runs it on the simulator,
# which must print the app's lines and check the job's result.
#   cmake -DBUILD=<build dir> -DEXAMPLE=<firmware/sdk-example> -DVP=<acceltran-vp> -DWORK=<scratch dir> -P sdk_app.cmake
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run("installing the SDK" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/sdk --component sdk)
file(COPY ${EXAMPLE}/ DESTINATION ${WORK}/app)
run("configuring the app" ${CMAKE_COMMAND} -S ${WORK}/app -B ${WORK}/app-build -DCMAKE_PREFIX_PATH=${WORK}/sdk
    -DCMAKE_TOOLCHAIN_FILE=${WORK}/sdk/share/cmake/AcceltranFirmware/riscv32-picolibc.cmake)
run("building the app" ${CMAKE_COMMAND} --build ${WORK}/app-build)
run("running the app" ${VP} --cpu riscv --firmware ${WORK}/app-build/sdk_example.elf --job matmul --m 48 --k 32 --n 40)
foreach(expected "\\[fw\\] sdk example: accelerator 0x41435452, 48 x 32 x 40 GEMM" "\\[fw\\] sdk example: [0-9]+ descriptors, status 0"
                 "result +bit-exact against the reference model")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "the app's run does not show '${expected}':\n${out}")
  endif()
endforeach()
