#!/usr/bin/env bash
# Instructions per request, emulator and echo baseline, counted by callgrind: a figure the load of
# the machine does not move (wall-time figures on the shared 2-core machine spread ±50%).
# Each server runs under `valgrind --tool=callgrind` (port 0, --quiet, as ratio.sh runs them);
# after WARM requests its counters are zeroed, N requests are sent on one keep-alive connection
# (Python stdlib client), the counters are dumped, and their total ÷ N is printed. The answers
# of the last request are kept (KEEP=1) so two builds can be compared byte for byte.
#
# usage: devtools/peers/instructions.sh            (from the repository root; needs valgrind)
# env:   COHORTS="12 100 1000" N=100 WARM=20 SEGSCOPE=… XTASK=… KEEP=1
set -euo pipefail

COHORTS=${COHORTS:-12 100 1000}
N=${N:-100}
WARM=${WARM:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEGSCOPE=${SEGSCOPE:-$ROOT/target/release/segscope}
XTASK=${XTASK:-$ROOT/target/release/examples/xtask}
command -v valgrind > /dev/null || { echo "instructions.sh needs valgrind" >&2; exit 2; }
if [ ! -x "$SEGSCOPE" ] || [ ! -x "$XTASK" ]; then
  (cd "$ROOT" && cargo build --release --bin segscope --example xtask)
fi

# shellcheck source=devtools/peers/serve.sh
. "$HERE/serve.sh"
make_work instructions

post() { # URL BODY COUNT [OUT]
  python3 - "$@" << 'PY'
import http.client, sys, urllib.parse
url, body, count = urllib.parse.urlsplit(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
conn = http.client.HTTPConnection(url.hostname, url.port)
for _ in range(count):
    conn.request("POST", "/ccs/v1/segmentation/stateless", body,
                 {"Content-Type": "application/json", "X-Api-Key": "k"})
    answer = conn.getresponse()
    data = answer.read()
    if answer.status != 200:
        sys.exit(f"instructions.sh: {answer.status}: {data[:200]!r}")
if len(sys.argv) > 4:
    open(sys.argv[4], "wb").write(data)
PY
}

count() { # NAME BODY [SERVE ARGS…]: prints instructions per request
  local name=$1 body=$2 pid url i
  shift 2
  : > "$WORK/$name.log" # read before the server has written to it
  valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.%p" \
    "$SEGSCOPE" serve --addr 127.0.0.1:0 --quiet "$@" > "$WORK/$name.log" 2>&1 &
  pid=$!
  SERVE_PIDS+=("$pid")
  for i in $(seq 1 600); do
    url=$(sed -nE 's/^segscope emulator listening on (http:\/\/[^ ]+).*/\1/p' "$WORK/$name.log")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$WORK/$name.log" >&2; return 1; }
  post "$url" "$body" "$WARM"
  callgrind_control -z "$pid" > /dev/null 2>&1
  post "$url" "$body" "$N" "$WORK/$name.answer.json"
  callgrind_control -d "$pid" > /dev/null 2>&1
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  awk -v n="$N" '/^totals:/ {printf "%.3f", $2 / n / 1e6}' "$WORK/$name".*.1
}

for cohorts in $COHORTS; do
  start_serve "$SEGSCOPE" "$WORK/serve$cohorts.out" --scale-cohorts "$cohorts"
  "$XTASK" bench --base-url "$URL" --write-body "$WORK/body$cohorts.json" > /dev/null
  kill "$SERVE_PID"
  emulator=$(count "emulator$cohorts" "$WORK/body$cohorts.json" --scale-cohorts "$cohorts")
  echo=$(count "echo$cohorts" "$WORK/body$cohorts.json" --echo)
  python3 -c "import sys; e, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{sys.argv[3]:>5} cohorts, body {int(sys.argv[4]):,} bytes: emulator {e:.3f} M, echo {b:.3f} M instructions per request; echo ÷ emulator {b / e:.2f}')" \
    "$emulator" "$echo" "$cohorts" "$(wc -c < "$WORK/body$cohorts.json")"
done
