#!/bin/sh
# wrk against a separate `segscope serve` (emulator) and `segscope serve --echo`, interleaved:
# echo, emulator, echo, emulator … one line per run; the ratio of each pair is emulator ÷ echo.
# BODY is a file from `xtask bench --base-url URL --write-body FILE`.
# usage: wrk-pairs.sh BODY EMULATOR_URL ECHO_URL PAIRS SECONDS
BODY=$1; export BODY
P=/ccs/v1/segmentation/stateless
for i in $(seq 1 $4); do
  for which in echo emu; do
    [ $which = echo ] && U=$3 || U=$2
    wrk -t1 -c32 -d${5}s --latency -s "$(dirname "$0")/post.lua" "$U$P" > "${TMPDIR:-/tmp}/wrk.out" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "${TMPDIR:-/tmp}/wrk.out"); p99=$(awk '$1=="99%" {print $2}' "${TMPDIR:-/tmp}/wrk.out")
    non=$(grep -c "Non-2xx" "${TMPDIR:-/tmp}/wrk.out")
    echo "pair $i $which rps=$rps p99=$p99 non2xx_lines=$non"
  done
done
