#!/usr/bin/env bash
# The emulator against its echo baseline, every process its own: `segscope serve` (demo
# workspace, 12 cohorts), `segscope serve --scale-cohorts 100` and `segscope serve --echo`, each
# on 127.0.0.1 port 0; the bodies built by `xtask bench --write-body` (10 Pageviews + a 4-week
# state); wrk -t1 -c32 runs interleaved echo, emulator, echo, … (devtools/wrk/pairs.sh), and
# the ratio of each pair (emulator ÷ echo, requests/s) and the emulator's p99, as min / median.
#
# usage: devtools/peers/ratio.sh               (from the repository root; needs wrk)
# env:   PAIRS=3 SECONDS_EACH=3 KEEP=1 (keep the work dir)
#        SEGSCOPE=…, XTASK=… (default: target/release/segscope, target/release/examples/xtask)
set -euo pipefail

PAIRS=${PAIRS:-3}
SECONDS_EACH=${SECONDS_EACH:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEGSCOPE=${SEGSCOPE:-$ROOT/target/release/segscope}
XTASK=${XTASK:-$ROOT/target/release/examples/xtask}
command -v wrk > /dev/null || { echo "ratio.sh needs wrk" >&2; exit 2; }
if [ ! -x "$SEGSCOPE" ] || [ ! -x "$XTASK" ]; then
  (cd "$ROOT" && cargo build --release --bin segscope --example xtask)
fi

# shellcheck source=devtools/peers/serve.sh
. "$HERE/serve.sh"
make_work ratio
start_serve "$SEGSCOPE" "$WORK/serve12.out"; URL12=$URL; PID12=$SERVE_PID
start_serve "$SEGSCOPE" "$WORK/serve100.out" --scale-cohorts 100; URL100=$URL; PID100=$SERVE_PID
start_serve "$SEGSCOPE" "$WORK/echo.out" --echo; ECHO=$URL; ECHO_PID=$SERVE_PID

"$XTASK" bench --base-url "$URL12" --write-body "$WORK/body12.json" > /dev/null
"$XTASK" bench --base-url "$URL100" --write-body "$WORK/body100.json" > /dev/null

for cohorts in 12 100; do
  url=URL$cohorts
  pid=PID$cohorts
  body=$WORK/body$cohorts.json
  echo "$cohorts cohorts, body $(wc -c < "$body") bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  TMPDIR=$WORK "$ROOT/devtools/wrk/pairs.sh" "$body" "${!url}" "$ECHO" "$PAIRS" "$SECONDS_EACH" "${!pid}" "$ECHO_PID" | tee "$WORK/pairs$cohorts.txt" >&2
  python3 - "$cohorts" "$WORK/pairs$cohorts.txt" << 'PY'
import re, statistics, sys
cohorts, path = sys.argv[1], sys.argv[2]
runs = {}
for line in open(path):
    m = re.match(r"pair (\d+) (echo|emu) rps=([\d.]+) p99=([\d.]+)(us|ms|s) non2xx_lines=(\d+) cpu_us=([\d.]+)", line)
    if not m:
        sys.exit(f"ratio.sh: unexpected line from pairs.sh: {line!r}")
    if m.group(6) != "0":
        sys.exit(f"ratio.sh: non-2xx answers in {line!r}")
    p99 = float(m.group(4)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(5)]
    runs.setdefault(m.group(1), {})[m.group(2)] = (float(m.group(3)), p99, float(m.group(7)))
ratios = [r["emu"][0] / r["echo"][0] for r in runs.values()]
p99 = [r["emu"][1] for r in runs.values()]
emu = [r["emu"][0] for r in runs.values()]
echo = [r["echo"][0] for r in runs.values()]
# The server's CPU per request: echo's ÷ the emulator's is the ratio of their throughputs on a
# core of their own, which the load of the machine moves far less than req/s.
by_cpu = [r["echo"][2] / r["emu"][2] for r in runs.values()]
emu_cpu = [r["emu"][2] for r in runs.values()]
echo_cpu = [r["echo"][2] for r in runs.values()]
print(f"{cohorts:>3} cohorts: emulator ÷ echo {min(ratios):.2f} / {statistics.median(ratios):.2f} "
      f"(emulator {min(emu):,.0f}–{max(emu):,.0f} req/s, echo {min(echo):,.0f}–{max(echo):,.0f}); "
      f"emulator p99 {min(p99):.1f} / {statistics.median(p99):.1f} ms; "
      f"by server CPU per request {min(by_cpu):.2f} / {statistics.median(by_cpu):.2f} "
      f"(emulator {statistics.median(emu_cpu):.1f} µs, echo {statistics.median(echo_cpu):.1f} µs, medians)")
PY
done
