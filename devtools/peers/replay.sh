#!/usr/bin/env bash
# `segscope replay` side by side with the tools a user would otherwise script the same session
# with, all against one separate `segscope serve` (release build, demo workspace):
#   segscope  segscope replay SESSION --base-url URL     (cohorts compared with the recording)
#   hurl      hurl --test session.hurl                   (state captured and chained, cohorts asserted)
#   newman    newman run session.postman.json            (the same, in a Postman test script)
#   curl      curl -K floor.curlrc                       (the recorded bodies on one connection:
#                                                         the transport's floor, no chaining)
# Runs are interleaved (segscope, hurl, newman, curl, segscope, …) and reported as min / median.
# A peer that is not installed is skipped and named; one that fails stops the script.
#
# usage: devtools/peers/replay.sh            (from the repository root)
# env:   STEPS=1000 ROUNDS=5 PEERS="segscope hurl newman curl" KEEP=1 (keep the work dir)
#        SEGSCOPE=path/to/segscope (default: target/release/segscope, built if missing)
#        HURL=…, NEWMAN=… (default: hurl, newman on PATH)
set -euo pipefail

STEPS=${STEPS:-1000}
ROUNDS=${ROUNDS:-5}
PEERS=${PEERS:-segscope hurl newman curl}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEGSCOPE=${SEGSCOPE:-$ROOT/target/release/segscope}
PY="python3 $HERE/peers.py"
HURL=${HURL:-$(command -v hurl || true)}
NEWMAN=${NEWMAN:-$(command -v newman || true)}

if [ ! -x "$SEGSCOPE" ]; then
  (cd "$ROOT" && cargo build --release --bin segscope)
fi

# shellcheck source=devtools/peers/serve.sh
. "$HERE/serve.sh"
make_work peers
start_serve "$SEGSCOPE" "$WORK/serve.out"
echo "serve: $URL (pid $SERVE_PID); $STEPS steps, $ROUNDS rounds; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

export PERMUTIVE_API_KEY=k
$PY session "$STEPS" "$WORK/session.json"
"$SEGSCOPE" replay --update "$WORK/session.json" --base-url "$URL" > "$WORK/record.out"
$PY chain "$WORK/session.json" "$URL" "$WORK/steps"

commands=()
for peer in $PEERS; do
  case $peer in
    segscope)
      commands+=("segscope=$SEGSCOPE replay $WORK/session.json --base-url $URL") ;;
    hurl)
      if [ -z "$HURL" ]; then echo "hurl: not installed, skipped" >&2; continue; fi
      $PY hurl "$WORK/session.json" "$WORK/steps" "$URL" "$WORK/session.hurl"
      commands+=("hurl=$HURL --test $WORK/session.hurl") ;;
    newman)
      if [ -z "$NEWMAN" ]; then echo "newman: not installed, skipped" >&2; continue; fi
      $PY postman "$WORK/session.json" "$WORK/steps" "$WORK/session.postman.json"
      commands+=("newman=$NEWMAN run $WORK/session.postman.json --env-var base_url=$URL --bail") ;;
    curl)
      $PY curlrc "$WORK/steps" "$URL" "$WORK/floor.curlrc"
      commands+=("curl=curl -s --fail-early -K $WORK/floor.curlrc") ;;
    *) echo "unknown peer: $peer" >&2; exit 2 ;;
  esac
done

$PY bench "$ROUNDS" "${commands[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
