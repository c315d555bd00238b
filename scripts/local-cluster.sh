#!/usr/bin/env bash
# A real Spark standalone cluster on 127.0.0.1 from the project's own built jars (no Spark download):
# one Master (port 7077, UI 8080) and two Workers of one core each, every one a separate JVM.
#
#   scripts/local-cluster.sh start     # builds the jars first if they are missing (mvn -o package -DskipTests)
#   scripts/local-cluster.sh status
#   scripts/local-cluster.sh stop
#
# Then submit the job to it:
#   scripts/submit.sh --master spark://127.0.0.1:7077 -- --prompts prompts.jsonl --output out/
#
# Settings (environment): D4J_CLUSTER_DIR (default target/local-cluster), D4J_MASTER_PORT (7077),
# D4J_MASTER_UI_PORT (8080), D4J_WORKERS (2), D4J_WORKER_CORES (1), D4J_WORKER_MEMORY (2g), JAVA (java).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${D4J_CLUSTER_DIR:-$ROOT/target/local-cluster}"
MASTER_PORT="${D4J_MASTER_PORT:-7077}"
MASTER_UI_PORT="${D4J_MASTER_UI_PORT:-8080}"
WORKERS="${D4J_WORKERS:-2}"
WORKER_CORES="${D4J_WORKER_CORES:-1}"
WORKER_MEMORY="${D4J_WORKER_MEMORY:-2g}"
JAVA="${JAVA:-java}"

export OPT_OUT_TRACKING=true DJL_OFFLINE=true
export SPARK_HOME="$DIR/spark-home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 SPARK_NO_DAEMONIZE=1

die() { echo "local-cluster: $*" >&2; exit 1; }

# Spark's --add-opens list for Java 17, from the parent pom (one source of truth)
spark_opens() {
  sed -n 's:.*<spark.add.opens>\(.*\)</spark.add.opens>.*:\1:p' "$ROOT/pom.xml"
}

build_if_needed() {
  local cp="$ROOT/job/target/classpath.txt"
  if [[ ! -f "$cp" ]] || ! ls "$ROOT"/job/target/job-*[0-9T].jar >/dev/null 2>&1; then
    echo "local-cluster: building the jars (mvn -o -q -B -DskipTests package)..."
    (cd "$ROOT" && OPT_OUT_TRACKING=true DJL_OFFLINE=true mvn -o -q -B -DskipTests package)
  fi
}

# SPARK_HOME/jars = the job's whole classpath (Spark included) + the job jar, as links
lay_out_spark_home() {
  rm -rf "$SPARK_HOME"
  mkdir -p "$SPARK_HOME/jars" "$DIR/logs" "$DIR/pids"
  local i=0 entry
  IFS=: read -r -a entries < "$ROOT/job/target/classpath.txt" || true
  for entry in "${entries[@]}" "$(ls "$ROOT"/job/target/job-*[0-9T].jar | head -1)"; do
    [[ -f "$entry" ]] || continue
    ln -s "$entry" "$SPARK_HOME/jars/$(printf '%03d' $i)-$(basename "$entry")"
    i=$((i + 1))
  done
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs="$1" what="$2"; shift 2
  for ((t = 0; t < secs * 5; t++)); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  die "$what did not happen within ${secs}s (logs: $DIR/logs)"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive_workers() { # the master's JSON status page, read with bash alone
  local body
  body="$( (exec 3<>"/dev/tcp/127.0.0.1/$MASTER_UI_PORT" &&
            printf 'GET /json/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3) 2>/dev/null || true)"
  if [[ "$body" =~ \"aliveworkers\"[[:space:]]*:[[:space:]]*([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}
workers_registered() { [[ "$(alive_workers)" -ge "$WORKERS" ]]; }

launch() { # launch NAME MAIN ARGS...
  local name="$1"; shift
  # shellcheck disable=SC2046
  nohup "$JAVA" -Xmx512m $(spark_opens) -XX:TieredStopAtLevel=1 -Dai.djl.offline=true \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    -cp "$SPARK_HOME/jars/*" "$@" > "$DIR/logs/$name.log" 2>&1 &
  echo $! > "$DIR/pids/$name.pid"
}

running() {
  local f
  for f in "$DIR"/pids/*.pid; do
    [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}

start() {
  if running; then die "already running (scripts/local-cluster.sh stop first)"; fi
  port_open "$MASTER_PORT" && die "port $MASTER_PORT is already in use"
  build_if_needed
  lay_out_spark_home
  launch master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" \
    --webui-port "$MASTER_UI_PORT"
  wait_for 60 "master start" port_open "$MASTER_PORT"
  for ((w = 1; w <= WORKERS; w++)); do
    mkdir -p "$DIR/work/worker-$w"
    launch "worker-$w" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$WORKER_CORES" \
      --memory "$WORKER_MEMORY" --webui-port $((MASTER_UI_PORT + w)) --work-dir "$DIR/work/worker-$w" \
      "spark://127.0.0.1:$MASTER_PORT"
  done
  wait_for 90 "$WORKERS workers registering" workers_registered
  echo "local-cluster: master spark://127.0.0.1:$MASTER_PORT (UI http://127.0.0.1:$MASTER_UI_PORT), $WORKERS workers" \
       "x $WORKER_CORES core(s); logs in $DIR/logs"
}

stop() {
  local f pid child
  for f in "$DIR"/pids/worker-*.pid "$DIR"/pids/master.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      # executors are the workers' children
      for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
      kill "$pid" 2>/dev/null || true
      for ((t = 0; t < 50; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  echo "local-cluster: stopped"
}

status() {
  local f
  for f in "$DIR"/pids/*.pid; do
    [[ -f "$f" ]] || continue
    if kill -0 "$(cat "$f")" 2>/dev/null; then
      echo "$(basename "$f" .pid): running (pid $(cat "$f"))"
    else
      echo "$(basename "$f" .pid): dead"
    fi
  done
  if running; then echo "alive workers: $(alive_workers)"; else echo "local-cluster: not running"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
