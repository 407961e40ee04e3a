# Waiting for a daemon that run.sh started: until a check passes, for as long as the daemon lives, at most a
# deadline. On a slow host — a small or busy VPS, a VM under emulation — node compiles the TypeScript sources
# (tsx) at start-up for a minute or more, so a fixed 20 s is not enough; a daemon that died is reported at
# once instead of after the deadline.
#   wait_for PID SECONDS CMD...   → 0 when CMD succeeded; 1 when PID is gone or SECONDS passed

wait_for() {
  local pid=$1 end=$((SECONDS + $2))
  shift 2
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.2
  done
}

# why wait_for failed, for the message: "exited" or "did not answer within N s"
wait_failure() { # PID SECONDS
  if kill -0 "$1" 2>/dev/null; then echo "did not answer within $2 s"; else echo "exited during start-up"; fi
}
