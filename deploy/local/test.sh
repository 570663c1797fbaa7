#!/usr/bin/env bash
# `make test`: a dedicated Kafka broker and PostgreSQL cluster for the suite, started here
# and stopped when it ends, whatever the outcome. Ports differ from `make up`'s, so both can run.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The default ports, unless taken (another run on the same machine): then any free ones.
free_port() {
  python3 -c "import socket,sys
for port in [int(sys.argv[1]), int(sys.argv[1]) + 1, 0]:
    try:
        with socket.socket() as s: s.bind(('127.0.0.1', port)); print(s.getsockname()[1]); break
    except OSError: pass" "$1"
}
kafka_port=${TEST_KAFKA_PORT:-$(free_port 19092)}
run=.run/test-$kafka_port
pg_port=${TEST_PG_PORT:-$(free_port 55432)}
pg_dir=${TMPDIR:-/tmp}/convene-pg-$pg_port
mkdir -p "$run"

cleanup() {
  deploy/kafka/kafka.sh stop "$run/kafka" || true
  deploy/postgres/postgres.sh stop "$pg_dir" || true
}
trap cleanup EXIT

deploy/kafka/kafka.sh stop "$run/kafka"
rm -rf "$run/kafka"
deploy/kafka/kafka.sh start "$kafka_port" "$run/kafka"
deploy/postgres/postgres.sh start "$pg_port" "$pg_dir"

export CONVENE_TEST_KAFKA="127.0.0.1:$kafka_port"
export CONVENE_TEST_KAFKA_DIR="$PWD/$run/kafka"
export CONVENE_TEST_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
export CONVENE_TEST_POSTGRES_DIR="$pg_dir"
.venv/bin/python -m pytest "$@"
