#!/bin/sh
# wrk against a separate `segscope serve` (emulator) and `segscope serve --echo`, interleaved:
# echo, emulator, echo, emulator … one line per run; the ratio of each pair is emulator ÷ echo.
# BODY is a file from `xtask bench --base-url URL --write-body FILE`. Given the servers' pids,
# each line also has the server's CPU time per answered request (user + system, from
# /proc/PID/stat): what a request costs the server whatever else the machine is running.
# usage: wrk-pairs.sh BODY EMULATOR_URL ECHO_URL PAIRS SECONDS [EMULATOR_PID ECHO_PID]
BODY=$1; export BODY
P=/ccs/v1/segmentation/stateless
TICKS=$(getconf CLK_TCK)
# utime + stime of a pid, in clock ticks (0 without a pid).
cpu_ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
for i in $(seq 1 $4); do
  for which in echo emu; do
    [ $which = echo ] && U=$3 || U=$2
    [ $which = echo ] && PID=${7:-} || PID=${6:-}
    before=$(cpu_ticks "$PID")
    wrk -t1 -c32 -d${5}s --latency -s "$(dirname "$0")/post.lua" "$U$P" > "${TMPDIR:-/tmp}/wrk.out" 2>&1
    after=$(cpu_ticks "$PID")
    rps=$(awk '/Requests\/sec/ {print $2}' "${TMPDIR:-/tmp}/wrk.out"); p99=$(awk '$1=="99%" {print $2}' "${TMPDIR:-/tmp}/wrk.out")
    requests=$(awk '/requests in/ {print $1}' "${TMPDIR:-/tmp}/wrk.out")
    cpu_us=$(awk -v t=$((after - before)) -v hz="$TICKS" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
    non=$(grep -c "Non-2xx" "${TMPDIR:-/tmp}/wrk.out")
    echo "pair $i $which rps=$rps p99=$p99 non2xx_lines=$non cpu_us=$cpu_us"
  done
done
