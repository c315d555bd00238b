#!/usr/bin/env bash
# Runs pyspark_peer.py (the PySpark + diffusers peer of `scripts/diffusers4j job`) in the environment that
# setup_peer.sh builds (README.md beside this file):
#   run_peer.sh --prompts P.jsonl --output DIR --model DIR [--steps 4] [--batch-size 1] [--width 256] [--height 256]
#               [--guidance-scale 7.5] [--master local[2]] [--partitions N] [--torch-threads 1]
# PySpark 3.5 (python/ of a Spark v3.5.x source tree) on the Spark 3.5.9 jars in $PEER_HOME/spark-home, Debian's
# python 3.11 + torch 1.13.1 (venv $PEER_HOME/venv with pyarrow, pandas), diffusers 0.30.3 run from source ($REF_SRC,
# via scripts/reference/refenv.py), tcmalloc preloaded (as scripts/diffusers4j does).
# Variables: PEER_HOME (/tmp/diffusers4j-peer), REF_SRC (/tmp/diffusers4j-ref-src), JAVA_HOME
# (/usr/lib/jvm/java-17-openjdk-amd64), PEER_OPENBLAS_CORETYPE (Haswell, as refenv.py), PEER_DRIVER_MEMORY (2g).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEER_HOME="${PEER_HOME:-/tmp/diffusers4j-peer}"
export SPARK_HOME="$PEER_HOME/spark-home"
PEER_PYTHON="$PEER_HOME/venv/bin/python"
export REF_SRC="${REF_SRC:-/tmp/diffusers4j-ref-src}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true   # project rule for every JVM (harmless here)

py4j=$(ls "$SPARK_HOME"/python/lib/py4j-*-src.zip 2>/dev/null | head -n 1 || true)
if [[ ! -x $PEER_PYTHON || -z $py4j || ! -d $SPARK_HOME/jars ]]; then
  echo "run_peer: no peer environment in $PEER_HOME; build it with $HERE/setup_peer.sh (README.md)" >&2
  exit 2
fi
export PYTHONPATH="$SPARK_HOME/python:$py4j${PYTHONPATH:+:$PYTHONPATH}"
export PYSPARK_PYTHON="$PEER_PYTHON" PYSPARK_DRIVER_PYTHON="$PEER_PYTHON"
export PYTHONPYCACHEPREFIX="$PEER_HOME/pycache"   # bytecode out of the checkout
# the same allocator as the Java launcher (scripts/diffusers4j): inherited by the JVM and the Python workers
if [[ -z "${LD_PRELOAD:-}" && -f /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ]]; then
  export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
fi
exec "$PEER_PYTHON" "$HERE/pyspark_peer.py" "$@"
