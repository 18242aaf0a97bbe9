# Sourced by the scripts beside it: start_serve BINARY LOGFILE [ARGS…] runs `BINARY serve` on
# 127.0.0.1, port 0, in the background, and sets SERVE_PID and URL from its first line
# ("segscope emulator listening on http://127.0.0.1:PORT (…)"). The caller kills SERVE_PID.
start_serve() {
  local bin=$1 log=$2
  shift 2
  "$bin" serve --addr 127.0.0.1:0 --quiet "$@" > "$log" 2>&1 &
  SERVE_PID=$!
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
