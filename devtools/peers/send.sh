#!/usr/bin/env bash
# `segscope send` with a large state next to curl sending the same body (curl first: the ratio
# column is send ÷ curl), against a separate
# `segscope serve` with the demo workspace scaled to many cohorts; runs interleaved (curl, send,
# curl, …), min / median (devtools/peers/peers.py bench).
# The state is grown, not shipped: Pageviews 37 minutes apart are sent with the state chained
# until a request carries a state of STATE_BYTES; that request (its events and its state) is
# what both tools send.
#
# usage: devtools/peers/send.sh                (from the repository root)
# env:   COHORTS=1300 STATE_BYTES=720000 ROUNDS=30 KEEP=1 (keep the work dir)
#        SEGSCOPE=path/to/segscope (default: target/release/segscope, built if missing)
set -euo pipefail

COHORTS=${COHORTS:-1300}
STATE_BYTES=${STATE_BYTES:-720000}
STEPS=5000 # at most
ROUNDS=${ROUNDS:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEGSCOPE=${SEGSCOPE:-$ROOT/target/release/segscope}
PY="python3 $HERE/peers.py"

if [ ! -x "$SEGSCOPE" ]; then
  (cd "$ROOT" && cargo build --release --bin segscope)
fi

# shellcheck source=devtools/peers/serve.sh
. "$HERE/serve.sh"
make_work send
start_serve "$SEGSCOPE" "$WORK/serve.out" --scale-cohorts "$COHORTS"
echo "serve: $URL (pid $SERVE_PID), $COHORTS cohorts; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

$PY session "$STEPS" "$WORK/session.json"
$PY chain "$WORK/session.json" "$URL" "$WORK/steps" "$STATE_BYTES"
LAST=$(ls "$WORK"/steps/body-*.json | tail -n 1)
$PY split "$LAST" "$WORK/events.json" "$WORK/state.json"
USER_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["identity"]["user_id"])' "$WORK/session.json")

export PERMUTIVE_API_KEY=k
$PY bench "$ROUNDS" \
  "curl=curl -s -o /dev/null --fail -X POST '$URL/ccs/v1/segmentation/stateless?synchronous-validation=true' -H 'X-Api-Key: k' -H 'Content-Type: application/json' --data-binary @$LAST" \
  "send=$SEGSCOPE send $WORK/events.json --user-id $USER_ID --state $WORK/state.json --base-url $URL"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
