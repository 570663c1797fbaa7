#!/usr/bin/env bash
# `make test`, `make bench` and `make drills`: a Kafka broker and a PostgreSQL cluster of the run's
# own (and for tests a Redis server, the shared store of request counts), started here and
# stopped when it ends, whatever the outcome. Each mode has its own default
# ports, apart from `make up`'s, so all can run at once; a default port that is taken (another run
# on the same machine) is replaced by a free one.
#   deploy/local/isolated.sh test   [pytest arguments]        ports TEST_KAFKA_PORT / TEST_PG_PORT
#   deploy/local/isolated.sh bench  [bench.run arguments]     ports BENCH_KAFKA_PORT / BENCH_PG_PORT
#   deploy/local/isolated.sh drills [bench.drills arguments]  ports DRILLS_KAFKA_PORT / DRILLS_PG_PORT
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-}
shift || true
case $mode in
  # PostgreSQL ports below the ephemeral range, so no client socket can hold them.
  test) kafka_default=19092 pg_default=55432 module=pytest ;;
  bench) kafka_default=19792 pg_default=25792 module=bench.run ;;
  drills) kafka_default=19892 pg_default=25892 module=bench.drills ;;
  *) echo "usage: $0 test|bench|drills [arguments]" >&2; exit 2 ;;
esac

free_port() {
  python3 -c "import socket,sys
for port in [int(sys.argv[1]), int(sys.argv[1]) + 1, 0]:
    try:
        with socket.socket() as s: s.bind(('127.0.0.1', port)); print(s.getsockname()[1]); break
    except OSError: pass" "$1"
}
kafka_setting=${mode^^}_KAFKA_PORT
pg_setting=${mode^^}_PG_PORT
kafka_port=${!kafka_setting:-$(free_port $kafka_default)}
pg_port=${!pg_setting:-$(free_port $pg_default)}
run=.run/$mode-$kafka_port
pg_dir=${TMPDIR:-/tmp}/convene-pg-$pg_port
redis_port=$(free_port $((pg_default + 1)))
mkdir -p "$run"

cleanup() {
  deploy/kafka/kafka.sh stop "$run/kafka" || true
  deploy/postgres/postgres.sh stop "$pg_dir" || true
  deploy/redis/redis.sh stop "$run/redis" || true
}
trap cleanup EXIT

deploy/kafka/kafka.sh stop "$run/kafka"
rm -rf "$run/kafka" "$run/deployments"
deploy/kafka/kafka.sh start "$kafka_port" "$run/kafka"
deploy/postgres/postgres.sh start "$pg_port" "$pg_dir"

kafka="127.0.0.1:$kafka_port"
postgres="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
if [ "$mode" = test ]; then
  deploy/redis/redis.sh start "$redis_port" "$run/redis"
  export CONVENE_TEST_KAFKA=$kafka CONVENE_TEST_KAFKA_DIR="$PWD/$run/kafka"
  export CONVENE_TEST_POSTGRES=$postgres CONVENE_TEST_REDIS="redis://127.0.0.1:$redis_port/0"
else
  export BENCH_KAFKA=$kafka BENCH_KAFKA_DIR="$PWD/$run/kafka" BENCH_RUN_DIR="$PWD/$run/deployments"
  export BENCH_POSTGRES=$postgres BENCH_POSTGRES_PORT=$pg_port BENCH_POSTGRES_DIR=$pg_dir
fi
.venv/bin/python -m $module "$@"
