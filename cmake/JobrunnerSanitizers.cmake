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
