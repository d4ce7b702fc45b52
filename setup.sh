#!/usr/bin/env bash
# jobrunner set-up on Debian 12: installs the packages the build needs when they are missing,
# configures and builds, then does what it is asked:
#   ./setup.sh run [jobrunner run flags]   the daemon on ./data/jobrunner.db with the quick demo
#   ./setup.sh test                        the whole test suite through ctest
#   ./setup.sh build                       build only
#   ./setup.sh sanitize address|thread     the unit and conformance suites under ASan+UBSan or TSan
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake ninja-build pkg-config sqlite3 libsqlite3-dev libsqlitecpp-dev
  nlohmann-json3-dev libspdlog-dev catch2 libcli11-dev libcpp-httplib-dev python3)

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
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

command=${1:-build}
[ $# -gt 0 ] && shift
install_missing
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
  sanitize)
    kind=${1:?usage: ./setup.sh sanitize address|thread}
    cmake -S . -B "build-$kind" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBRUNNER_SANITIZE="$kind" >/dev/null
    cmake --build "build-$kind" -j "$(nproc)" --target unit_tests conformance_tests
    ctest --test-dir "build-$kind" --output-on-failure --timeout 600 -j 2 -R "^(unit|conformance):"
    ;;
  *)
    echo "usage: ./setup.sh [build | run [flags] | test | sanitize address|thread]" >&2
    exit 2
    ;;
esac
