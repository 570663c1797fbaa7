#!/usr/bin/env bash
# A local Redis server: the shared store of request counts (RATE_LIMIT_STORAGE_URI) for tests.
#
#   redis.sh install          install Redis from Debian packages if it is absent
#   redis.sh start PORT DIR   start it on 127.0.0.1:PORT, its files in DIR
#   redis.sh stop DIR         stop it
set -euo pipefail

install() {
  command -v redis-server >/dev/null && return 0
  echo "Installing Redis from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
}

start() {
  local port=$1 dir=$2
  install
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)  # redis-server moves into --dir before it opens its files
  # Counts only: nothing to keep across restarts, so no snapshots and no append-only file.
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "Redis ready on 127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  echo "Redis failed to start; see $dir/redis.log" >&2
  return 1
}

stop() {
  local dir=$1
  [ -f "$dir/redis.pid" ] || return 0
  kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

case ${1:-} in
  install) install ;;
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 install | start PORT DIR | stop DIR" >&2; exit 2 ;;
esac
