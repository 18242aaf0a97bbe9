#!/usr/bin/env bash
# The console's start-to-first-frame, memory and idle CPU next to the terminal API clients a
# user would otherwise pick (slumber, posting), each on a fresh 160×45 pseudo-terminal, runs
# interleaved (segscope, slumber, posting, segscope, …), min / median (devtools/peers/console.py).
#   segscope  segscope --fresh                 (embedded emulator, demo workspace; first frame:
#                                               the key bar, "Ctrl+Q quit")
#   slumber   slumber --file slumber.yml       (one request to a separate `segscope serve`)
#   posting   posting --collection DIR         (an empty collection)
# A peer that is not installed is skipped and named.
#
# usage: devtools/peers/console.sh             (from the repository root)
# env:   ROUNDS=5 IDLE=5 (seconds left alone for the idle CPU) PEERS="segscope slumber posting"
#        SEGSCOPE=path/to/segscope (default: target/release/segscope, built if missing)
#        POSTING=path/to/posting (default: posting on PATH)
set -euo pipefail

ROUNDS=${ROUNDS:-5}
IDLE=${IDLE:-5}
PEERS=${PEERS:-segscope slumber posting}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEGSCOPE=${SEGSCOPE:-$ROOT/target/release/segscope}
POSTING=${POSTING:-$(command -v posting || true)}

if [ ! -x "$SEGSCOPE" ]; then
  (cd "$ROOT" && cargo build --release --bin segscope)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/segscope-console.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The console's autosave goes to the work dir, not the user's state.
export SEGSCOPE_STATE_DIR=$WORK/state
mkdir -p "$WORK/state" "$WORK/posting"

tools=()
for peer in $PEERS; do
  case $peer in
    segscope)
      tools+=("segscope::Ctrl\\+Q::$SEGSCOPE --fresh") ;;
    slumber)
      if ! command -v slumber > /dev/null; then echo "slumber: not installed, skipped" >&2; continue; fi
      cat > "$WORK/slumber.yml" << 'EOF'
requests:
  segment:
    method: POST
    url: http://127.0.0.1:8787/ccs/v1/segmentation/stateless
    headers:
      X-Api-Key: k
    body:
      type: json
      data: {"user_id": "0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0", "events": []}
EOF
      tools+=("slumber::${SLUMBER_MARKER:-Help}::slumber --file $WORK/slumber.yml") ;;
    posting)
      if [ -z "$POSTING" ]; then echo "posting: not installed, skipped" >&2; continue; fi
      tools+=("posting::Variables::$POSTING --collection $WORK/posting") ;;
    *) echo "unknown peer: $peer" >&2; exit 2 ;;
  esac
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$HERE/console.py" "$ROUNDS" "$IDLE" "${tools[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
