# bench-smoke: every jobrunner-bench scenario at a tiny size, so that the tool keeps working. It
# checks that each scenario ran and printed its figures as JSON; it asserts nothing about timing.
#   cmake -DBENCH=path/to/jobrunner-bench -P run.cmake
execute_process(
  COMMAND ${BENCH} all --jobs 40 --depths 100,300 --json
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "jobrunner-bench all failed (${rc}):\n${err}\n${out}")
endif()
foreach(scenario insert throughput latency checkpoint depth memory shutdown baseline)
  if(NOT out MATCHES "\"scenario\":\"${scenario}\"")
    message(FATAL_ERROR "no figures from scenario ${scenario}:\n${out}")
  endif()
endforeach()
foreach(figure jobs_per_s p99_ms saves_per_s rss_mb bytes_per_job exit_ms tx100_jobs_per_s ratio_to_tx100
               ratio_to_insert_floor ratio_to_txc)
  if(NOT out MATCHES "\"${figure}\":")
    message(FATAL_ERROR "no ${figure} in the figures:\n${out}")
  endif()
endforeach()
