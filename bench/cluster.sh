#!/usr/bin/env bash
# Two daemons on one PostgreSQL (issue 24): users run by daemon A, their browsers on A
# (direct) and then on B (every request and the /events stream forwarded to A), IRC→browser
# latency and the CPU each daemon spends. On 127.0.0.1 only; every wait is bounded.
#
# Usage: bench/cluster.sh
# Env:   CONVOS_BENCH_BIN=path  the convos binary (default: cargo build --release)
#        USERS=20 RATE=200 SECS=20   latency users (one channel and one browser each),
#                                    messages per second over all, seconds
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
USERS=${USERS:-20}; RATE=${RATE:-200}; SECS=${SECS:-20}
PASS=benchpass123
WORK=$(mktemp -d /tmp/convos-cluster-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  scripts/pg-test stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '%s [cluster-bench] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # PORT SECONDS
  local end=$(( $(date +%s) + $2 ))
  until (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; do
    [ "$(date +%s)" -lt $end ] || return 1
    sleep 0.05
  done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
calc() { python3 -c "print('%.3g' % ($1))"; }
jf() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

if [ -n "${CONVOS_BENCH_BIN:-}" ]; then BIN=$CONVOS_BENCH_BIN; else
  log "cargo build --release"; cargo build --release --quiet --bin convos
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/convos
fi
cargo build --release --quiet --manifest-path bench/load/Cargo.toml
LOAD=${CARGO_TARGET_DIR:-$ROOT/bench/load/target}/release/convos-load

DB=$(scripts/pg-test start "$WORK/pg") || die "PostgreSQL did not start"
log "PostgreSQL: $DB"

IRC_PORT=$(free_port)
mkdir -p "$WORK/irc"
cat > "$WORK/irc/inspircd.conf" <<EOF
<server name="irc.bench" description="bench server" network="BenchNet">
<admin name="admin" nick="admin" email="admin@irc.bench">
<bind address="127.0.0.1" port="$IRC_PORT" type="clients">
<connect allow="*" timeout="60" pingfreq="300" threshold="100000" commandrate="100000000" recvq="1048576" sendq="67108864" softsendq="67108864" hardsendq="67108864" localmax="5000" globalmax="5000" maxchans="100" limit="10000" useident="no" usednsbl="no" resolvehostnames="no">
<pid file="$WORK/irc/inspircd.pid">
<dns server="127.0.0.1" timeout="1">
<options prefixquit="Quit: " defaultmodes="nt">
<security runasuser="" runasgroup="">
<performance netbuffersize="65536" somaxconn="1024" softlimit="10240" clonesonconnect="no" quietbursts="yes">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$WORK/irc/inspircd.log">
<module name="cap"><module name="ircv3"><module name="ircv3_servertime"><module name="ircv3_msgid">
<module name="namesx"><module name="deaf">
EOF
(cd "$WORK/irc" && exec inspircd --nofork --runasroot --config="$WORK/irc/inspircd.conf" > "$WORK/irc/out.txt" 2>&1) &
PIDS+=("$!")
wait_port "$IRC_PORT" 10 || die "inspircd did not start"

for i in $(seq "$USERS"); do
  echo "$PASS" | CONVOS_HOME=$WORK/cli CONVOS_DATABASE=$DB "$BIN" user add "lat$i@bench.test" --password-stdin > /dev/null
done

start() { # NAME PORT -> PID in LAST_PID
  mkdir -p "$WORK/$1"
  CONVOS_HOME=$WORK/$1 CONVOS_DATABASE=$DB CONVOS_IRC_ALLOW=127.0.0.1 \
    "$BIN" daemon --listen "http://127.0.0.1:$2" --log-level warn > "$WORK/$1/daemon.log" 2>&1 &
  LAST_PID=$!; PIDS+=("$LAST_PID")
  wait_port "$2" 30 || die "daemon $1 did not start: $(tail -5 "$WORK/$1/daemon.log")"
}
A_PORT=$(free_port); B_PORT=$(free_port)
# A starts alone and takes every user; B joins afterwards (running users do not move).
start a "$A_PORT"; A_PID=$LAST_PID
for i in $(seq "$USERS"); do
  "$LOAD" setup --addr "127.0.0.1:$A_PORT" --email "lat$i@bench.test" --from 1 --to 1 --password "$PASS" \
    --url "irc://127.0.0.1:$IRC_PORT/%23l$i?tls=0&nick=cl$i" --parallel 1 2>> "$WORK/setup.log" || die "setup: $(tail -3 "$WORK/setup.log")"
done
start b "$B_PORT"; B_PID=$LAST_PID
CH=$(for i in $(seq "$USERS"); do printf '#l%s,' "$i"; done); CH=${CH%,}
"$LOAD" bots --addr "127.0.0.1:$IRC_PORT" --prefix "probe$RANDOM" --count 1 --channels "$CH" \
  --total 0 --wait-prefix cl --wait-count 1 --max-secs 60 > /dev/null || die "users did not join"
log "$USERS users on A (pid $A_PID), B (pid $B_PID) joined"

TOTAL=$((RATE * SECS))
run() { # LABEL PORT
  local ready=$WORK/ready-$1 out=$WORK/lat-$1.json a0 b0 cpid
  rm -f "$ready"
  "$LOAD" events --addr "127.0.0.1:$2" --email 'lat{}@bench.test' --from 1 --to "$USERS" \
    --password "$PASS" --tag "$1" --expect "$TOTAL" --max-secs $((SECS + 90)) --idle-secs 10 \
    --ready-file "$ready" > "$out" 2>> "$WORK/events.log" &
  cpid=$!; PIDS+=("$cpid")
  for _ in $(seq 600); do [ -f "$ready" ] && break; kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
  [ -f "$ready" ] || die "$1: browsers not ready: $(tail -3 "$WORK/events.log")"
  a0=$(cpu_ticks "$A_PID"); b0=$(cpu_ticks "$B_PID")
  "$LOAD" bots --addr "127.0.0.1:$IRC_PORT" --prefix "b$RANDOM-" --count 4 --channels "$CH" \
    --tag "$1" --total "$TOTAL" --rate "$RATE" --max-secs $((SECS + 60)) > /dev/null 2>> "$WORK/bots.log" \
    || die "bots: $(tail -3 "$WORK/bots.log")"
  wait $cpid || die "$1: events client failed: $(tail -3 "$WORK/events.log")"
  printf '| %s | %s/%s | %s / %s ms | %s ms | %s s | %s s |\n' "$1" \
    "$(jf "$out" received)" "$TOTAL" "$(jf "$out" p50_ms)" "$(jf "$out" p99_ms)" "$(jf "$out" max_ms)" \
    "$(calc "($(cpu_ticks "$A_PID") - $a0) / $TICKS")" "$(calc "($(cpu_ticks "$B_PID") - $b0) / $TICKS")"
}
echo "bench/cluster.sh: $USERS users, $RATE msg/s for $SECS s, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| browsers on | delivered | IRC→browser p50 / p99 | max | CPU of A (runs the users) | CPU of B |"
echo "|---|---|---|---|---|---|"
run direct-A "$A_PORT"
run via-B "$B_PORT"
