#!/usr/bin/env bash
# Prints what a Java Jupyter kernel (IJava, JJava) needs to run notebooks/: the project's classpath, Spark's
# --add-opens flags for Java 17 and DJL's offline settings.   Use:  eval "$(scripts/notebook-env.sh)"
# Builds the project once when the jars are missing (like scripts/diffusers4j).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOB_TARGET="$ROOT/job/target"
CLASSPATH_FILE="$JOB_TARGET/classpath.txt"
find_jar() { ls "$JOB_TARGET"/job-*.jar 2>/dev/null | grep -v -e '-tests.jar' -e '-spark.jar' -e 'original-' | head -n 1; }
JAR="$(find_jar || true)"
if [[ -z "$JAR" || ! -f "$CLASSPATH_FILE" ]]; then
  echo "notebook-env: building the project once (mvn -q -DskipTests package) ..." >&2
  (cd "$ROOT" && mvn -q -B -DskipTests package >&2)
  JAR="$(find_jar)"
fi
CP="$JAR:$(cat "$CLASSPATH_FILE")"
OPENS="-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED \
--add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
--add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED \
--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED \
--add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"
JVM_OPTS="$OPENS -Xss4m -Djava.awt.headless=true -Dai.djl.offline=true"
printf "export IJAVA_CLASSPATH='%s'\n" "$CP"
printf "export JJAVA_CLASSPATH='%s'\n" "$CP"
printf "export JJAVA_JVM_OPTS='%s'\n" "$JVM_OPTS"
printf "export D4J_KERNEL_JVM_OPTS='%s'\n" "$JVM_OPTS"
printf "export OPT_OUT_TRACKING=true DJL_OFFLINE=true\n"
