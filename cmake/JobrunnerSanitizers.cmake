# JOBRUNNER_SANITIZE=address builds everything with ASan+UBSan, =thread with TSan. Any UBSan report
# aborts (no recovery), so a test that triggers one fails; ASan and TSan stop at their first report
# when run with halt_on_error=1 (./setup.sh sanitize sets their options).
if(JOBRUNNER_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(JOBRUNNER_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT JOBRUNNER_SANITIZE STREQUAL "")
  message(FATAL_ERROR "JOBRUNNER_SANITIZE must be empty, 'address' or 'thread', not '${JOBRUNNER_SANITIZE}'")
endif()

# JOBRUNNER_FUZZ builds the libFuzzer targets in tests/fuzz: everything is instrumented for coverage
# and checked by ASan+UBSan, the targets link libFuzzer's main.
option(JOBRUNNER_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
if(JOBRUNNER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "JOBRUNNER_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  if(NOT JOBRUNNER_SANITIZE STREQUAL "")
    message(FATAL_ERROR "JOBRUNNER_FUZZ brings its own sanitizers: leave JOBRUNNER_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
