#!/usr/bin/env bash
# A local PostgreSQL cluster for tests and for running Convene on PostgreSQL without Docker.
#
#   postgres.sh install          install PostgreSQL from Debian packages if it is absent
#   postgres.sh start PORT DIR   create the cluster if new, start it on 127.0.0.1:PORT
#   postgres.sh stop DIR         stop it
# The server never runs as root: as root, the cluster belongs to the `postgres` user.
set -euo pipefail

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install() {
  [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ] && return 0
  echo "Installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local port=$1 dir=$2 bin
  install; bin=$(bindir)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then echo "PostgreSQL already running on 127.0.0.1:$port"; return 0; fi
  # Tests want speed over durability; max_connections covers gunicorn workers' pools.
  as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
  echo "PostgreSQL ready on 127.0.0.1:$port"
}

stop() {
  local dir=$1 bin; bin=$(bindir)
  [ -f "$dir/PG_VERSION" ] || return 0
  as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?port}" "${3:?data dir}" ;;
  stop) stop "${2:?data dir}" ;;
  restart) stop "${3:?data dir}"; start "${2:?port}" "$3" ;;
  *) echo "usage: $0 install | start PORT DIR | stop DIR | restart PORT DIR" >&2; exit 2 ;;
esac
