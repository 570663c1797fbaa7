#!/usr/bin/env bash
# `make drills`: a dedicated Kafka broker and PostgreSQL cluster for the fault drills, started here
# and stopped when they end, whatever the outcome. Ports differ from `make up`'s and `make test`'s.
# Arguments go to `python -m bench.drills` (e.g. --short, --only broker-kill, --db sqlite).
set -euo pipefail
cd "$(dirname "$0")/../.."
kafka_port=${DRILLS_KAFKA_PORT:-19892}
run=.run/drills-$kafka_port
pg_port=${DRILLS_PG_PORT:-25892}  # below the ephemeral range, so no client socket can hold it
pg_dir=${TMPDIR:-/tmp}/convene-pg-$pg_port
mkdir -p "$run"

cleanup() {
  deploy/kafka/kafka.sh stop "$run/kafka" || true
  deploy/postgres/postgres.sh stop "$pg_dir" || true
}
trap cleanup EXIT

deploy/kafka/kafka.sh stop "$run/kafka"
rm -rf "$run/kafka" "$run/deployments"
deploy/kafka/kafka.sh start "$kafka_port" "$run/kafka"
deploy/postgres/postgres.sh start "$pg_port" "$pg_dir"

export BENCH_KAFKA="127.0.0.1:$kafka_port"
export BENCH_KAFKA_DIR="$PWD/$run/kafka"
export BENCH_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
export BENCH_POSTGRES_PORT="$pg_port"
export BENCH_POSTGRES_DIR="$pg_dir"
export BENCH_RUN_DIR="$PWD/$run/deployments"
.venv/bin/python -m bench.drills "$@"
