# Pid-file helpers shared by Usul's launcher scripts (deploy/kafka/kafka.sh, deploy/llm/llm-server.sh).
# Source it after defining PIDFILE and a `log` function.

is_running() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

# stop_pidfile SECONDS: SIGTERM the process, wait up to SECONDS, then SIGKILL; the pid file goes.
stop_pidfile() {
  local seconds="$1" pid
  if ! is_running; then
    rm -f "$PIDFILE"
    return 0
  fi
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"
  for _ in $(seq 1 $((seconds * 4))); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; return 0; }
    sleep 0.25
  done
  log "pid $pid did not stop within ${seconds}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}
