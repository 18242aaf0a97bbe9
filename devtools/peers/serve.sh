# Sourced by the scripts beside it.
#
# make_work NAME: a fresh work directory in WORK, removed on exit (kept with KEEP=1), and every
# server start_serve started is stopped on exit.
#
# start_serve BINARY LOGFILE [ARGS…] runs `BINARY serve` on 127.0.0.1, port 0, in the
# background, and sets SERVE_PID and URL from its first line ("segscope emulator listening on
# http://127.0.0.1:PORT (…)").
SERVE_PIDS=()
make_work() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/segscope-$1.XXXXXX")
  trap stop_work EXIT
}
stop_work() {
  local pid
  for pid in "${SERVE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work dir kept: $WORK" >&2; fi
}
start_serve() {
  local bin=$1 log=$2
  shift 2
  # The log exists before the server starts: it is read before the server has written to it.
  : > "$log"
  "$bin" serve --addr 127.0.0.1:0 --quiet "$@" > "$log" 2>&1 &
  SERVE_PID=$!
  SERVE_PIDS+=("$SERVE_PID")
  local i
  for i in $(seq 1 200); do
    URL=$(sed -nE '1s/^segscope emulator listening on (http:\/\/[^ ]+).*/\1/p' "$log")
    if [ -n "$URL" ]; then return 0; fi
    if ! kill -0 "$SERVE_PID" 2> /dev/null; then
      echo "segscope serve exited before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "segscope serve did not print its address within 10 s" >&2
  return 1
}
