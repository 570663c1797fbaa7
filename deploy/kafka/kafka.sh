#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker + controller) on 127.0.0.1,
# run from the Apache Kafka artifacts on Maven Central with the machine's Java. No Docker.
#
#   kafka.sh fetch                 download the broker jars once (cached outside git)
#   kafka.sh start PORT DATA_DIR   format storage if new, start, wait until it answers
#   kafka.sh stop DATA_DIR         stop cleanly (SIGTERM, then SIGKILL after 30 s)
#   kafka.sh kill|pause|resume DATA_DIR   fault drills: SIGKILL, SIGSTOP, SIGCONT
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
cache=${CONVENE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/convene/kafka-$version}
heap=${KAFKA_HEAP:-512m}

fetch() {
  [ -f "$cache/.complete" ] && return 0
  command -v java >/dev/null || { echo "kafka.sh: Java 17 is needed (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "kafka.sh: Maven is needed (apt-get install maven)" >&2; exit 1; }
  echo "Fetching Apache Kafka $version from Maven Central into $cache"
  mkdir -p "$cache/libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$cache/libs"
  touch "$cache/.complete"
}

pid_of() { cat "$1/kafka.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start() {
  local port=$1 dir; mkdir -p "$2"; dir=$(cd "$2" && pwd)
  fetch
  if running "$dir"; then echo "Kafka already running on 127.0.0.1:$port"; return 0; fi
  local controller=$((port + 1))
  sed -e "s#@PORT@#$port#g" -e "s#@CONTROLLER@#$controller#g" -e "s#@DATA@#$dir/data#g" "$here/server.properties" >"$dir/server.properties"
  if [ ! -f "$dir/data/meta.properties" ]; then
    # --cluster-id=: a random id may begin with "-", which "-t ID" would read as another option.
    java -cp "$cache/libs/*" -Dlog4j.configuration="file:$here/log4j.properties" kafka.tools.StorageTool format \
      --cluster-id="$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')" \
      -c "$dir/server.properties" >/dev/null
  fi
  nohup java -Xms128m -Xmx"$heap" -XX:+UseG1GC -cp "$cache/libs/*" -Dlog4j.configuration="file:$here/log4j.properties" \
    kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
  echo $! >"$dir/kafka.pid"
  for _ in $(seq 1 120); do
    if grep -q "Kafka Server started" "$dir/kafka.log" 2>/dev/null; then echo "Kafka $version ready on 127.0.0.1:$port"; return 0; fi
    running "$dir" || { echo "Kafka failed to start; see $dir/kafka.log" >&2; tail -20 "$dir/kafka.log" >&2; return 1; }
    sleep 0.5
  done
  echo "Kafka did not become ready in 60 s; see $dir/kafka.log" >&2; return 1
}

stop() {
  local dir=$1 pid; pid=$(pid_of "$dir")
  [ -n "$pid" ] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/kafka.pid"
}

signal() { local pid; pid=$(pid_of "$2"); [ -n "$pid" ] && kill "-$1" "$pid"; }

case "${1:-}" in
  fetch) fetch ;;
  start) start "${2:?port}" "${3:?data dir}" ;;
  stop) stop "${2:?data dir}" ;;
  kill) signal KILL "${2:?data dir}"; rm -f "$2/kafka.pid" ;;
  pause) signal STOP "${2:?data dir}" ;;
  resume) signal CONT "${2:?data dir}" ;;
  *) echo "usage: $0 fetch | start PORT DIR | stop DIR | kill DIR | pause DIR | resume DIR" >&2; exit 2 ;;
esac
