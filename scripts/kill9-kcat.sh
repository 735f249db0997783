#!/usr/bin/env bash
# Exactly-once check from outside: kcat produces N JSON lines into a running
# logmart's embedded Kafka; the server is killed with SIGKILL at random
# moments while it ingests and started again, KILLS times; at the end the
# logs table must hold each line exactly once.
#
#   scripts/kill9-kcat.sh [N=200000] [KILLS=10]
set -euo pipefail
N=${1:-200000}
KILLS=${2:-10}
BIN=${BIN:-./bin/logmart}
DATA=$(mktemp -d /tmp/logmart-kill9-XXXX)
HTTP=127.0.0.1:18480
KAFKA=127.0.0.1:19492
LOG=$DATA.log
command -v kcat >/dev/null || { echo "kcat is not installed (apt-get install kcat)"; exit 2; }

start() {
  "$BIN" serve --data "$DATA" --http-addr $HTTP --kafka-addr $KAFKA >>"$LOG" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do
    curl -fs http://$HTTP/readyz >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server did not become ready; see $LOG"; exit 1
}
count() { LOGMART_TOKEN= "$BIN" sql --server http://$HTTP "SELECT count(), uniqExact(attributes['id']) FROM logs WHERE service = 'kill9'"; }

produce() { # lines $1 .. $2-1
  seq "$1" $(($2 - 1)) | awk -v now="$(date +%s)" '{printf "{\"ts\":%d,\"level\":\"info\",\"service\":\"kill9\",\"id\":\"k-%d\",\"message\":\"line %d\"}\n", now, $1, $1}' \
    | kcat -P -b $KAFKA -t logs -X acks=all -X enable.idempotence=true
}

start
PER=$((N / KILLS))
before=0
for i in $(seq 1 "$KILLS"); do
  from=$(((i - 1) * PER)); to=$((i * PER)); [ "$i" -eq "$KILLS" ] && to=$N
  produce $from $to   # kcat returns once every line is acknowledged
  # Kill while it writes: once this round's first rows are stored, within
  # the next 100 ms, while other partitions' batches are being written or
  # their offsets committed. (A server killed just after it started may
  # spend a few seconds rejoining its consumer group; the wait covers it.)
  c=$before
  for _ in $(seq 1 1000); do
    read -r c _ < <(count)
    [ "$c" -gt "$before" ] && break
    sleep 0.02
  done
  sleep "0.0$((RANDOM % 10))"
  kill -9 $PID; wait $PID 2>/dev/null || true
  echo "kill -9 #$i: produced $to, stored $c when last counted"
  before=$c
  start
done
for _ in $(seq 1 300); do
  read -r c u < <(count)
  [ "$c" -ge "$N" ] && break
  sleep 0.5
done
sleep 2
read -r c u < <(count)
kill $PID; wait $PID 2>/dev/null || true
echo "after $KILLS kills: $c rows, $u distinct ids, $N produced"
if [ "$c" -eq "$N" ] && [ "$u" -eq "$N" ]; then echo PASS; rm -rf "$DATA" "$LOG"; else echo "FAIL (data kept in $DATA)"; exit 1; fi
