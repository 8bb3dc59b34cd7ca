# Bash harness for the real-client tests (source it; see kcat_test.sh).
#   start_broker TERN [name=value ...]   starts `tern broker` on a free 127.0.0.1 port with a temp
#                                        data dir; sets BROKER (host:port), BROKER_PID, WORK.
#   check DESC CMD...                    runs CMD; counts and prints ok/FAIL.
#   expect_eq DESC GOT WANT              compares two strings.
#   finish NAME                          prints "NAME: N passed, M failed" and returns the status.
# An EXIT/INT/TERM trap always stops the broker (SIGTERM, then SIGKILL) and removes WORK unless
# something failed (then the broker log is printed and WORK is kept for a look).

PASSED=0
FAILED=0
BROKER=
BROKER_PID=
WORK=$(mktemp -d /tmp/tern-client-test-XXXXXX)

stop_broker() {
  if [[ -n $BROKER_PID ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -TERM "$BROKER_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
  fi
  BROKER_PID=
}

_cleanup() {
  local rc=$?
  stop_broker
  if ((FAILED > 0 || rc != 0)); then
    echo "--- broker log tail ($WORK/broker.log) ---"
    tail -n 40 "$WORK/broker.log" 2>/dev/null
    echo "---"
  elif [[ -z ${TERN_KEEP_DATA:-} ]]; then
    rm -rf "$WORK"
  fi
}
trap _cleanup EXIT
trap 'echo "FAIL: interrupted (signal)"; FAILED=$((FAILED + 1)); exit 1' INT TERM

_free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_broker() {
  local tern=$1; shift
  local overrides=() kv
  for kv in "$@"; do overrides+=(--override "$kv"); done
  local attempt port
  for attempt in 1 2 3; do
    port=$(_free_port)
    # --pdeathsig: the broker dies with this shell even if the shell is SIGKILLed.
    setpriv --pdeathsig KILL "$tern" broker \
      --override "listeners=PLAINTEXT://127.0.0.1:$port" \
      --override "log.dirs=$WORK/data" "${overrides[@]}" \
      </dev/null >>"$WORK/broker.log" 2>&1 &
    BROKER_PID=$!
    BROKER=127.0.0.1:$port
    local deadline=$((SECONDS + 20))
    while ((SECONDS < deadline)); do
      if ! kill -0 "$BROKER_PID" 2>/dev/null; then break; fi
      if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
        echo "broker pid $BROKER_PID on $BROKER (attempt $attempt)"
        return 0
      fi
      sleep 0.1
    done
    stop_broker
  done
  echo "FAIL: tern broker did not start (log $WORK/broker.log):"
  tail -n 20 "$WORK/broker.log"
  FAILED=$((FAILED + 1))
  return 1
}

broker_alive() { [[ -n $BROKER_PID ]] && kill -0 "$BROKER_PID" 2>/dev/null; }

check() {
  local desc=$1; shift
  if "$@"; then
    PASSED=$((PASSED + 1)); echo "ok   $desc"
  else
    FAILED=$((FAILED + 1)); echo "FAIL $desc (command: $*)"
  fi
}

expect_eq() {
  local desc=$1 got=$2 want=$3
  if [[ $got == "$want" ]]; then
    PASSED=$((PASSED + 1)); echo "ok   $desc"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $desc"
    echo "     got:  $(printf '%s' "$got" | head -c 400)"
    echo "     want: $(printf '%s' "$want" | head -c 400)"
  fi
}

finish() {
  if [[ -n $BROKER_PID ]] && ! broker_alive; then
    FAILED=$((FAILED + 1)); echo "FAIL tern broker died during the test"
  fi
  echo "$1: $PASSED passed, $FAILED failed"
  ((FAILED == 0 && PASSED > 0))
}
