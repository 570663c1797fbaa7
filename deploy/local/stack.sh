#!/usr/bin/env bash
# Runs Convene on one machine without Docker: Kafka, then each service's worker and web
# (gunicorn), on SQLite unless DATABASE_URL says otherwise. State lives in .run/.
set -euo pipefail
cd "$(dirname "$0")/../.."
run=.run
bin=.venv/bin
services=(enrolment scheduling feedback)
declare -A ports=([enrolment]=8001 [scheduling]=8002 [feedback]=8003)
# Each worker's /metrics (Prometheus) and /healthz (its loops' liveness).
declare -A worker_ports=([enrolment]=9101 [scheduling]=9102 [feedback]=9103)
export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}
kafka_port=${KAFKA_BOOTSTRAP_SERVERS##*:}

start_process() {  # name, command...
  local name=$1; shift
  if [ -f "$run/pids/$name.pid" ] && kill -0 "$(cat "$run/pids/$name.pid")" 2>/dev/null; then return 0; fi
  nohup "$@" >"$run/logs/$name.log" 2>&1 &
  echo $! >"$run/pids/$name.pid"
}

wait_ready() {  # service; /readyz is the database only (kafka.sh start has waited for the broker)
  local url="http://127.0.0.1:${ports[$1]}/readyz"
  for _ in $(seq 1 120); do
    if "$bin/python" -c "import sys,urllib.request; sys.exit(urllib.request.urlopen('$url', timeout=2).status != 200)" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "$1 did not become ready; see $run/logs/$1-web.log and $run/logs/$1-worker.log" >&2
  return 1
}

up() {
  mkdir -p "$run/pids" "$run/logs" "$run/data"
  "$bin/python" -m services.cli keys
  deploy/kafka/kafka.sh start "$kafka_port" "$run/kafka"
  for service in "${services[@]}"; do
    "$bin/python" -m services.cli migrate "$service" >/dev/null
    rm -rf "$run/prometheus/$service" && mkdir -p "$run/prometheus/$service"
    WORKER_METRICS_PORT=${worker_ports[$service]} start_process "$service-worker" "$bin/python" -m "services.$service.worker"
    PROMETHEUS_MULTIPROC_DIR="$run/prometheus/$service" PORT=${ports[$service]} WEB_CONCURRENCY=${WEB_CONCURRENCY:-3} \
      start_process "$service-web" "$bin/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:${ports[$service]}" "services.$service.app:create_app()"
  done
  for service in "${services[@]}"; do wait_ready "$service"; done
  if [ -f services/enrolment/demo.py ] && [ ! -f "$run/data/.demo-loaded" ]; then
    "$bin/python" -m services.cli demo && touch "$run/data/.demo-loaded"
  fi
  cat <<MSG

Convene is up.
  enrolment   http://127.0.0.1:8001/docs
  scheduling  http://127.0.0.1:8002/docs
  feedback    http://127.0.0.1:8003/docs
  Kafka       127.0.0.1:$kafka_port
Worker metrics and liveness (/metrics, /healthz):
  enrolment   http://127.0.0.1:9101/metrics
  scheduling  http://127.0.0.1:9102/metrics
  feedback    http://127.0.0.1:9103/metrics
A token for the docs' Authorize button:  make token ROLE=regional_admin REGION=Y56
Logs: make logs   Status: make status   Stop: make down
MSG
}

down() {
  for pidfile in "$run"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pidfile in "$run"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  deploy/kafka/kafka.sh stop "$run/kafka"
  echo "Convene is down."
}

status() {
  for service in "${services[@]}"; do
    for role in web worker; do
      local pidfile="$run/pids/$service-$role.pid" state=stopped
      [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && state="running (pid $(cat "$pidfile"))"
      printf '%-22s %s\n' "$service-$role" "$state"
    done
  done
  local kpid; kpid=$(cat "$run/kafka/kafka.pid" 2>/dev/null || true)
  if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then printf '%-22s running (pid %s)\n' kafka "$kpid"; else printf '%-22s stopped\n' kafka; fi
}

logs() { tail -n 20 -F "$run"/logs/*.log; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  logs) logs ;;
  *) echo "usage: $0 up|down|status|logs" >&2; exit 2 ;;
esac
