#!/usr/bin/env bash
# spark-submit for the diffusers4j job with sane defaults.
#
#   scripts/submit.sh [spark-submit options] -- [job options]
#   scripts/submit.sh --master spark://127.0.0.1:7077 -- --prompts prompts.jsonl --output out/
#   scripts/submit.sh --master spark://gpu-master:7077 --executor-memory 8g -- \
#       --config conf/gpu-cluster.conf --prompts hdfs:///prompts.jsonl --output hdfs:///renders --model org/name
#
# Uses $SPARK_HOME/bin/spark-submit (or spark-submit on PATH); without one it runs Spark's SparkSubmit class
# from the project's own jars (client mode, fine for scripts/local-cluster.sh). Submits the shaded jar
# job/target/job-*-spark.jar (built with `mvn -o -DskipTests package` when missing) with:
#   --class io.diffusers4j.job.JobMain, DJL offline and no tracking on driver and executors
#   (spark.executorEnv.OPT_OUT_TRACKING/DJL_OFFLINE), the quiet log4j2 config for the driver,
#   spark.driver.host=127.0.0.1 for a master on 127.0.0.1.
# Without "--" every argument goes to the job (spark-submit defaults: master from the job config, local[*]).
# HF_TOKEN: export it for the driver and pass --conf spark.executorEnv.HF_TOKEN=... for executors
# (Spark redacts it in logs and the UI); it is never put in the job's config or output.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
export THP_MEM_ALLOC_ENABLE="${THP_MEM_ALLOC_ENABLE:-1}"   # huge pages under tensors; the job passes it to executors

submit_opts=()
job_opts=()
if printf '%s\n' "$@" | grep -qx -- '--'; then
  while [[ $# -gt 0 && "$1" != "--" ]]; do submit_opts+=("$1"); shift; done
  shift
fi
job_opts=("$@")

jar="$(ls "$ROOT"/job/target/job-*-spark.jar 2>/dev/null | head -1 || true)"
if [[ -z "$jar" ]]; then
  echo "submit: building the job jar (mvn -o -q -B -DskipTests package)..." >&2
  (cd "$ROOT" && mvn -o -q -B -DskipTests package)
  jar="$(ls "$ROOT"/job/target/job-*-spark.jar | head -1)"
fi

master=""
for ((i = 0; i < ${#submit_opts[@]}; i++)); do
  [[ "${submit_opts[$i]}" == "--master" ]] && master="${submit_opts[$((i + 1))]:-}"
  [[ "${submit_opts[$i]}" == --master=* ]] && master="${submit_opts[$i]#--master=}"
done

defaults=(
  --class io.diffusers4j.job.JobMain
  --conf spark.executorEnv.OPT_OUT_TRACKING=true
  --conf spark.executorEnv.DJL_OFFLINE=true
  --conf spark.ui.showConsoleProgress=false
  --driver-java-options "-Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties"
)
if [[ "$master" == spark://127.0.0.1:* || "$master" == spark://localhost:* || "$master" == local* ]]; then
  defaults+=(--conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1)
fi

submit_bin=""
if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then
  submit_bin="$SPARK_HOME/bin/spark-submit"
elif command -v spark-submit >/dev/null 2>&1; then
  submit_bin="$(command -v spark-submit)"
fi

if [[ -n "$submit_bin" ]]; then
  exec "$submit_bin" "${defaults[@]}" "${submit_opts[@]}" "$jar" "${job_opts[@]}"
fi

# No Spark installation: Spark's own SparkSubmit from the project's jars (client mode)
cp_file="$ROOT/job/target/classpath.txt"
[[ -f "$cp_file" ]] || { echo "submit: $cp_file missing; run mvn -o -DskipTests package" >&2; exit 1; }
opens="$(sed -n 's:.*<spark.add.opens>\(.*\)</spark.add.opens>.*:\1:p' "$ROOT/pom.xml")"
# shellcheck disable=SC2086
exec "${JAVA:-java}" $opens -XX:TieredStopAtLevel=1 -Dai.djl.offline=true \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$(cat "$cp_file")" org.apache.spark.deploy.SparkSubmit \
  "${defaults[@]}" "${submit_opts[@]}" "$jar" "${job_opts[@]}"
