#!/usr/bin/env bash
# jobrunner set-up on Debian 12: installs the packages the build needs when they are missing,
# configures and builds, then does what it is asked:
#   ./setup.sh run [jobrunner run flags]   the daemon on ./data/jobrunner.db with the quick demo
#   ./setup.sh test                        the whole test suite through ctest
#   ./setup.sh ci                          what CI (.ci/run) runs: test, then sanitize address, sanitize
#                                          thread and fuzz 60, each step timed
#   ./setup.sh build                       build only
#   ./setup.sh sanitize address            the unit, conformance, durable and fault suites under ASan+UBSan
#   ./setup.sh sanitize thread             the tests labelled concurrency under TSan
#   ./setup.sh fuzz [seconds]              each libFuzzer target for that long (default 60)
#   ./setup.sh bench [OUT]                 every jobrunner-bench scenario, Release build, median of 3:
#                                          OUT.jsonl, OUT.log (load averages), OUT_depth.png (default ./bench)
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake ninja-build pkg-config sqlite3 libsqlite3-dev libsqlitecpp-dev
  nlohmann-json3-dev libspdlog-dev catch2 libcli11-dev libcpp-httplib-dev python3)

# The fuzz targets are built with clang: libFuzzer and clang's sanitizer runtimes.
fuzz_packages=(clang-14 libclang-rt-14-dev)

# The depth plot is drawn by Debian's python3 with its matplotlib.
bench_packages=(python3-matplotlib)

install_missing() {  # install_missing PACKAGE...
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {  # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

# A sanitized build of only what the tests need (no tools or examples), at -O1 with line tables: about
# half the compile time of -O2 -g, and the reports still name file and line.
sanitize_build() {  # sanitize_build KIND TARGET...
  local kind=$1
  shift
  cmake -S . -B "build-$kind" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DJOBRUNNER_SANITIZE="$kind" -DJOBRUNNER_BUILD_TOOLS=OFF -DJOBRUNNER_BUILD_EXAMPLES=OFF -DJOBRUNNER_INSTALL=OFF \
    >/dev/null
  cmake --build "build-$kind" -j "$(nproc)" --target "$@"
}

# Any sanitizer report stops the test at once and fails it.
sanitize_run() {  # sanitize_run KIND CTEST_ARGS...
  local kind=$1
  shift
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp" \
    ctest --test-dir "build-$kind" --output-on-failure --timeout 600 -j 2 "$@"
}

fuzz() {  # fuzz SECONDS: builds the targets with clang, then runs each on its corpus for SECONDS
  local seconds=$1 source target log
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DCMAKE_CXX_COMPILER=clang++-14 -DJOBRUNNER_FUZZ=ON -DJOBRUNNER_BUILD_TESTS=OFF -DJOBRUNNER_BUILD_TOOLS=OFF \
    -DJOBRUNNER_BUILD_EXAMPLES=OFF -DJOBRUNNER_INSTALL=OFF >/dev/null
  cmake --build build-fuzz -j "$(nproc)"
  for source in tests/fuzz/*_fuzz.cpp; do
    target=$(basename "$source" .cpp)
    log=build-fuzz/$target.log
    # New inputs go to build-fuzz/corpus/<target>; the seeds in the repository are only read.
    mkdir -p "build-fuzz/corpus/$target" "build-fuzz/crashes/$target"
    echo "fuzz: $target for ${seconds}s"
    if ! build-fuzz/tests/fuzz/"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target/" \
      "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
      tail -n 60 "$log"
      echo "fuzz: $target FAILED: the input is in build-fuzz/crashes/$target/, the log in $log"
      return 1
    fi
    grep -E "^stat::(number_of_executed_units|new_units_added)" "$log" | tr '\n' ' '
    echo
    echo "fuzz: $target passed"
  done
}

step() {  # step NAME COMMAND...: runs it and says how long it took
  local name=$1 began=$SECONDS
  shift
  echo "=== $name"
  "$@"
  echo "=== $name: passed in $((SECONDS - began)) s"
}

command=${1:-build}
[ $# -gt 0 ] && shift
install_missing "${packages[@]}"
case "$command" in
  build) build build ;;
  run)
    build build
    exec build/tools/jobrunner run --demo quick "$@"
    ;;
  test)
    build build
    ctest --test-dir build --output-on-failure --timeout 300 -j 4
    ;;
  ci)
    step "the test suite" ./setup.sh test
    step "ASan+UBSan: unit, conformance, durable and fault suites" ./setup.sh sanitize address
    step "TSan: concurrency tests" ./setup.sh sanitize thread
    step "fuzz: 60 s per target" ./setup.sh fuzz 60
    ;;
  sanitize)
    case "${1:-}" in
      address)
        sanitize_build address unit_tests conformance_tests durable_tests fault_tests
        sanitize_run address -R "^(unit|conformance|durable|faults):"
        ;;
      thread)
        sanitize_build thread conformance_tests durable_tests
        sanitize_run thread -L concurrency
        ;;
      *)
        echo "usage: ./setup.sh sanitize address|thread" >&2
        exit 2
        ;;
    esac
    ;;
  fuzz)
    install_missing "${fuzz_packages[@]}"
    fuzz "${1:-60}"
    ;;
  bench)
    install_missing "${bench_packages[@]}"
    out=${1:-bench}
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DJOBRUNNER_BUILD_TESTS=OFF >/dev/null
    cmake --build build-release -j "$(nproc)" --target jobrunner-bench
    scripts/bench_all.sh build-release/tools/jobrunner-bench "$out" 3
    /usr/bin/python3 scripts/plot_bench.py "$out.jsonl" "${out}_depth.png"
    echo "bench: figures in $out.jsonl, load averages in $out.log, the depth plot in ${out}_depth.png"
    ;;
  *)
    echo "usage: ./setup.sh [build | run [flags] | test | ci | sanitize address|thread | fuzz [seconds] | bench [out]]" >&2
    exit 2
    ;;
esac
