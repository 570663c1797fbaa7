#!/usr/bin/env bash
# Runs Convene on one machine without Docker: Kafka, then each service's worker and web
# (gunicorn), on SQLite unless DATABASE_URL says otherwise. State lives in .run/.
set -euo pipefail
cd "$(dirname "$0")/../.."
run=.run
bin=.venv/bin
services=()
declare -A ports=() worker_ports=()
export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}
kafka_port=${KAFKA_BOOTSTRAP_SERVERS##*:}
# The console (port 8000) signs people in at the development OpenID Connect provider (port 9400), whose
# access tokens the services accept: it signs them with .run/keys (as `make token` does) as this issuer.
console_port=${CONSOLE_PORT:-8000}
identity_port=${IDENTITY_PROVIDER_PORT:-9400}
# The development mailbox (deploy/local/mailbox.py): enrolment's worker sends participants' e-mails to
# its SMTP server; read them at its inbox page.
export SMTP_PORT=${SMTP_PORT:-1025}
mailbox_port=${MAILBOX_PORT:-8025}
export JWT_ISSUER=${JWT_ISSUER:-http://127.0.0.1:$identity_port}
# Webhook receivers a developer runs on this machine (docs/examples/webhook_receiver.py) listen on
# plain HTTP on loopback: allowed here only, never in a deployment (services/subscriptions).
export WEBHOOK_ALLOW_HTTP=${WEBHOOK_ALLOW_HTTP:-true}
export WEBHOOK_ALLOW_PRIVATE_ADDRESSES=${WEBHOOK_ALLOW_PRIVATE_ADDRESSES:-true}

declared() {  # the services their declarations name (services/registry.py), with their web ports
  [ ${#services[@]} -gt 0 ] && return 0
  local name port
  while read -r name port; do
    services+=("$name")
    ports[$name]=$port
    worker_ports[$name]=$((9100 + ${#services[@]}))  # each worker's /metrics and /healthz: 9101, 9102 ...
  done < <("$bin/python" -m services.cli services)
}

start_process() {  # name, command...
  local name=$1; shift
  if [ -f "$run/pids/$name.pid" ] && kill -0 "$(cat "$run/pids/$name.pid")" 2>/dev/null; then return 0; fi
  nohup "$@" >"$run/logs/$name.log" 2>&1 &
  echo $! >"$run/pids/$name.pid"
}

wait_ready() {  # service; /readyz is the database only (kafka.sh start has waited for the broker)
  wait_for "$1" "http://127.0.0.1:${ports[$1]}/readyz"
}

wait_for() {  # name, url
  local url=$2
  for _ in $(seq 1 120); do
    if "$bin/python" -c "import sys,urllib.request; sys.exit(urllib.request.urlopen('$url', timeout=2).status != 200)" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "$1 did not become ready; see its log in $run/logs/" >&2
  return 1
}

up() {
  mkdir -p "$run/pids" "$run/logs" "$run/data"
  declared
  "$bin/python" -m services.cli keys
  deploy/kafka/kafka.sh start "$kafka_port" "$run/kafka"
  start_process mailbox "$bin/python" deploy/local/mailbox.py --smtp-port "$SMTP_PORT" --http-port "$mailbox_port"
  for service in "${services[@]}"; do
    "$bin/python" -m services.cli migrate "$service" >/dev/null
    rm -rf "$run/prometheus/$service" && mkdir -p "$run/prometheus/$service"
    WORKER_METRICS_PORT=${worker_ports[$service]} start_process "$service-worker" "$bin/python" -m "services.$service.worker"
    PROMETHEUS_MULTIPROC_DIR="$run/prometheus/$service" PORT=${ports[$service]} WEB_CONCURRENCY=${WEB_CONCURRENCY:-3} \
      start_process "$service-web" "$bin/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:${ports[$service]}" "services.$service.app:create_app()"
  done
  # One worker: the development provider keeps its users, codes and tokens in its memory.
  WEB_CONCURRENCY=1 start_process identity-provider "$bin/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$identity_port" \
    "services.console.identity_provider:app_from_environment()"
  [ -f "$run/keys/console-session.key" ] || head -c 32 /dev/urandom | base64 >"$run/keys/console-session.key"
  WEB_CONCURRENCY=2 CONSOLE_ENVIRONMENT=development OIDC_ISSUER="http://127.0.0.1:$identity_port" \
    CONSOLE_SESSION_SECRET="$(cat "$run/keys/console-session.key")" \
    start_process console-web "$bin/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$console_port" "services.console.app:create_app()"
  for service in "${services[@]}"; do wait_ready "$service"; done
  wait_for identity-provider "http://127.0.0.1:$identity_port/.well-known/openid-configuration"
  wait_for console "http://127.0.0.1:$console_port/healthz"
  wait_for mailbox "http://127.0.0.1:$mailbox_port/messages.json"
  if [ -f services/enrolment/demo.py ] && [ ! -f "$run/data/.demo-loaded" ]; then
    "$bin/python" -m services.cli demo && touch "$run/data/.demo-loaded"
  fi
  printf '\nConvene is up. Start here:\n'
  printf '  %-13s http://127.0.0.1:%s  sign in as one of the demo people:\n' console "$console_port"
  "$bin/python" -W ignore -c 'from services.console.identity_provider import DEMO_PEOPLE
for user in DEMO_PEOPLE: print(" " * 17 + user.sub.ljust(22) + user.claims["name"])' 2>/dev/null
  for service in "${services[@]}"; do printf '  %-13s http://127.0.0.1:%s/docs\n' "$service" "${ports[$service]}"; done
  printf '  %-13s http://127.0.0.1:%s  (development OpenID Connect provider)\n' sign-in "$identity_port"
  printf '  %-13s 127.0.0.1:%s\n' Kafka "$kafka_port"
  printf '  %-13s http://127.0.0.1:%s  (the e-mails participants are sent; SMTP on 127.0.0.1:%s)\n' mailbox "$mailbox_port" "$SMTP_PORT"
  printf 'Worker metrics and liveness (/metrics, /healthz):\n'
  for service in "${services[@]}"; do printf '  %-13s http://127.0.0.1:%s/metrics\n' "$service" "${worker_ports[$service]}"; done
  cat <<MSG
A token for the docs' Authorize button:  make token PERSON=demo-admin-y56  (or ROLE=... REGION=...)
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
  declared
  for name in console-web identity-provider mailbox; do
    local pidfile="$run/pids/$name.pid" state=stopped
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && state="running (pid $(cat "$pidfile"))"
    printf '%-22s %s\n' "$name" "$state"
  done
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
