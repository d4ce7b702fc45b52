#!/usr/bin/env bash
# Runs every jobrunner-bench scenario R times (medians) with each engine it applies to, one process
# each, and keeps what a table needs: the JSON lines in OUT.jsonl, and in OUT.log the 1-minute load
# average before and after each scenario (the machines are shared: figures are only comparable
# within one run).
#   scripts/bench_all.sh build-release/tools/jobrunner-bench docs/bench/bench-$(date +%F) [R]
set -euo pipefail
bench=$1 out=$2 repeat=${3:-3}
: >"$out.jsonl"
: >"$out.log"
while read -r args; do
  [ -z "$args" ] && continue
  began=$SECONDS
  echo "== $(date +%T) loadavg before: $(cat /proc/loadavg) :: $args" >>"$out.log"
  # shellcheck disable=SC2086 # the scenario's arguments are words on purpose
  "$bench" $args --repeat "$repeat" --json >>"$out.jsonl"
  echo "== $(date +%T) loadavg after: $(cat /proc/loadavg) :: $((SECONDS - began)) s :: $args" >>"$out.log"
done <<'SCENARIOS'
throughput --engine durable --with-baseline
throughput --engine lite
insert --engine durable --with-baseline
insert --engine lite
latency --engine durable
latency --engine durable --cross-process
latency --engine lite
checkpoint --engine durable
checkpoint --engine lite
shutdown --engine durable
shutdown --engine lite
depth --engine durable
depth --engine lite
SCENARIOS
# Peak RSS is a process's own: memory runs once, in a process of its own.
for engine in durable lite; do
  echo "== $(date +%T) loadavg before: $(cat /proc/loadavg) :: memory --engine $engine" >>"$out.log"
  "$bench" memory --engine "$engine" --json >>"$out.jsonl"
  echo "== $(date +%T) loadavg after: $(cat /proc/loadavg) :: memory --engine $engine" >>"$out.log"
done
