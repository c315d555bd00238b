#!/usr/bin/env bash
# Builds the environment of the PySpark + diffusers peer (README.md beside this file). Idempotent: each step is
# skipped when its result is already there. Run as root (apt) or with the Debian packages already installed.
#
#   SPARK_SRC=/path/to/spark-v3.5.x-checkout scripts/bench/peer/setup_peer.sh
#
# Variables (defaults):
#   PEER_HOME   /tmp/diffusers4j-peer          everything built here: venv/, spark-home/, spark-jars-pom/
#   SPARK_SRC   (required unless $PEER_HOME/spark-home/python is there already) an Apache Spark v3.5.x source
#               tree; only its python/pyspark, python/lib (py4j) and bin/ are used:
#                 git clone --branch v3.5.0 --depth 1 https://github.com/apache/spark /tmp/spark-src-v3.5.0
#   SPARK_VERSION 3.5.9                        the Spark jars (the project's pom.xml: spark.version, Scala 2.12)
#   REF_SRC     /tmp/diffusers4j-ref-src       diffusers 0.30.3 / transformers d6751d91 / huggingface_hub 0.24.6
#               source checkouts (scripts/reference/README.md, "Environment", has the git commands)
#   WHEEL_DIRS  "/opt/pypi/files /opt/wheels"  local wheel folders for pip (--no-index); set PEER_PIP_ONLINE=1 to
#               let pip use its index instead
#   JAVA_HOME   /usr/lib/jvm/java-17-openjdk-amd64
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEER_HOME="${PEER_HOME:-/tmp/diffusers4j-peer}"
SPARK_HOME="$PEER_HOME/spark-home"
SPARK_VERSION="${SPARK_VERSION:-3.5.9}"
SCALA_BINARY="${SCALA_BINARY:-2.12}"
REF_SRC="${REF_SRC:-/tmp/diffusers4j-ref-src}"
WHEEL_DIRS="${WHEEL_DIRS:-/opt/pypi/files /opt/wheels}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
# pip versions for Debian bookworm's numpy 1.24.2 (pandas 2.3 supports numpy >= 1.23.2; pyarrow >= 16 has no numpy
# pin; bottleneck 1.6 replaces Debian's 1.3.5, which pandas 2.3 warns about on every import)
PIP_PACKAGES=(pyarrow==25.0.1 pandas==2.3.3 bottleneck==1.6.0 tzdata)
APT_PACKAGES=(python3-torch python3-numpy python3-scipy python3-pil python3-regex python3-filelock python3-tqdm
              python3-packaging python3-fsspec python3-yaml python3-requests python3-venv python3-dateutil
              python3-tz libtcmalloc-minimal4)

say() { echo "setup_peer: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
mkdir -p "$PEER_HOME"

# 1. Debian packages (Debian's torch 1.13.1, numpy 1.24.2, ...): started first, in the background (slow)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
apt_pid=""
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages (run as root or install them): ${missing[*]}"
  say "apt-get install ${missing[*]} (background, log $PEER_HOME/apt.log)"
  (apt-get install -y "${missing[@]}" || { apt-get update && apt-get install -y "${missing[@]}"; }) \
    > "$PEER_HOME/apt.log" 2>&1 &
  apt_pid=$!
else
  say "Debian packages: all installed"
fi

# 2. the diffusers / transformers / huggingface_hub sources (refenv.py puts their src/ on sys.path)
for name in diffusers transformers huggingface_hub; do
  [[ -d "$REF_SRC/$name/src/$name" ]] || die "no $name source checkout at $REF_SRC/$name (set REF_SRC; \
the git clone / checkout commands are in scripts/reference/README.md, section Environment)"
done
src_version() { sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$REF_SRC/$1/src/$1/__init__.py"; }
say "reference sources in $REF_SRC: diffusers $(src_version diffusers), transformers $(src_version transformers), \
huggingface_hub $(src_version huggingface_hub)"
[[ $(src_version diffusers) == 0.30.3 ]] || say "WARNING: diffusers is not 0.30.3"

# 3. SPARK_HOME/jars: the Spark runtime jars from Maven (offline first, from the local repository)
core_jar="$SPARK_HOME/jars/spark-core_$SCALA_BINARY-$SPARK_VERSION.jar"
if [[ -f "$core_jar" && -f "$SPARK_HOME/jars/spark-sql_$SCALA_BINARY-$SPARK_VERSION.jar" \
      && -f "$SPARK_HOME/jars/slf4j-api-2.0.7.jar" ]]; then
  say "Spark $SPARK_VERSION jars: already in $SPARK_HOME/jars"
else
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  pomdir="$PEER_HOME/spark-jars-pom"
  mkdir -p "$pomdir"
  # managed as in the project's pom.xml and Spark 3.5's own build: Jackson 2.15.2 (jackson-bom) and SLF4J 2.0.7 (else
  # Maven's nearest-wins picks slf4j-api 1.7.36, which finds no binding for Spark's log4j2)
  cat > "$pomdir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <!-- written by scripts/bench/peer/setup_peer.sh: only to copy Spark's runtime jars into a SPARK_HOME -->
  <groupId>local.diffusers4j.peer</groupId>
  <artifactId>spark-runtime-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson</groupId><artifactId>jackson-bom</artifactId><version>2.15.2</version>
        <type>pom</type><scope>import</scope>
      </dependency>
      <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.7</version></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.spark</groupId><artifactId>spark-core_$SCALA_BINARY</artifactId><version>$SPARK_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.spark</groupId><artifactId>spark-sql_$SCALA_BINARY</artifactId><version>$SPARK_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  rm -rf "$SPARK_HOME/jars.tmp"
  copy=(mvn -q -B -f "$pomdir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime
        -DoutputDirectory="$SPARK_HOME/jars.tmp")
  if "${copy[@]}" -o > "$PEER_HOME/mvn.log" 2>&1; then
    say "Spark $SPARK_VERSION jars: copied from the local Maven repository"
  else
    say "not everything is in the local Maven repository; resolving online (log $PEER_HOME/mvn.log)"
    "${copy[@]}" > "$PEER_HOME/mvn.log" 2>&1 || die "mvn dependency:copy-dependencies failed (see $PEER_HOME/mvn.log)"
  fi
  rm -rf "$SPARK_HOME/jars" && mv "$SPARK_HOME/jars.tmp" "$SPARK_HOME/jars"
  say "Spark jars: $(ls "$SPARK_HOME/jars" | wc -l) in $SPARK_HOME/jars"
fi

# 4. SPARK_HOME/python and bin: PySpark's sources from a Spark v3.5.x source tree
if [[ -n "${SPARK_SRC:-}" ]]; then
  [[ -f "$SPARK_SRC/python/pyspark/version.py" && -d "$SPARK_SRC/bin" ]] \
    || die "SPARK_SRC=$SPARK_SRC has no python/pyspark/version.py or bin/ (an Apache Spark source tree)"
  src_version=$(sed -n 's/^__version__[^"]*"\([^"]*\)".*/\1/p' "$SPARK_SRC/python/pyspark/version.py")
  [[ $src_version == 3.5.* ]] || die "SPARK_SRC is PySpark $src_version; use a v3.5.x tag"
  ls "$SPARK_SRC"/python/lib/py4j-*-src.zip >/dev/null 2>&1 || die "no python/lib/py4j-*-src.zip in $SPARK_SRC"
  rm -rf "$SPARK_HOME/python" "$SPARK_HOME/bin"
  mkdir -p "$SPARK_HOME/python"
  cp -a "$SPARK_SRC/python/pyspark" "$SPARK_SRC/python/lib" "$SPARK_HOME/python/"
  cp -a "$SPARK_SRC/bin" "$SPARK_HOME/bin"
  find "$SPARK_HOME/python" -name __pycache__ -prune -exec rm -rf {} +
  echo "PySpark $src_version from $SPARK_SRC" \
    "$(git -C "$SPARK_SRC" rev-parse HEAD 2>/dev/null || cat "$SPARK_SRC/SOURCE.txt" 2>/dev/null || true)" \
    > "$SPARK_HOME/PYSPARK_SOURCE"
  say "PySpark $src_version: copied into $SPARK_HOME/python and bin/"
elif [[ -f "$SPARK_HOME/python/pyspark/version.py" ]]; then
  say "PySpark sources: already in $SPARK_HOME/python ($(cat "$SPARK_HOME/PYSPARK_SOURCE" 2>/dev/null))"
else
  die "set SPARK_SRC to an Apache Spark v3.5.x source tree, e.g.
    git clone --branch v3.5.0 --depth 1 https://github.com/apache/spark /tmp/spark-src-v3.5.0
    SPARK_SRC=/tmp/spark-src-v3.5.0 $0"
fi

# 5. the venv: Debian's python with --system-site-packages (torch, numpy, scipy, Pillow from Debian) + pyarrow, pandas
if [[ -n $apt_pid ]]; then
  say "waiting for apt-get ..."
  wait "$apt_pid" || die "apt-get install failed (see $PEER_HOME/apt.log)"
fi
VENV="$PEER_HOME/venv"
[[ -x "$VENV/bin/python" ]] || /usr/bin/python3 -m venv --system-site-packages "$VENV"
if ! "$VENV/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
want = {"pyarrow": "25.0.1", "pandas": "2.3.3", "bottleneck": "1.6.0"}
sys.exit(any(md.version(k) != v for k, v in want.items()))
EOF
then
  pip_src=(--no-index)
  for d in $WHEEL_DIRS; do [[ -d $d ]] && pip_src+=(--find-links "$d"); done
  [[ ${PEER_PIP_ONLINE:-0} == 1 ]] && pip_src=()
  # --no-deps: their dependencies (numpy, python-dateutil, pytz, numexpr) come from Debian; pip must not replace
  # Debian's numpy 1.24.2 (torch 1.13 is built against it)
  "$VENV/bin/pip" install -q --disable-pip-version-check "${pip_src[@]}" --no-deps "${PIP_PACKAGES[@]}"
fi

# 6. checks
"$VENV/bin/python" - "$SPARK_HOME" <<'EOF'
import glob, sys, warnings
warnings.simplefilter("error", UserWarning)  # e.g. pandas' "requires version ... of bottleneck"
import numpy, torch, pyarrow, pandas, scipy, PIL
assert numpy.__file__.startswith("/usr/lib/python3/dist-packages/"), numpy.__file__
assert numpy.__version__ == "1.24.2", numpy.__version__
spark_home = sys.argv[1]
sys.path[:0] = [spark_home + "/python"] + glob.glob(spark_home + "/python/lib/py4j-*-src.zip")
import pyspark, py4j
print("setup_peer: python %d.%d.%d, torch %s, numpy %s, scipy %s, Pillow %s, pyarrow %s, pandas %s, pyspark %s"
      % (sys.version_info[:3] + (torch.__version__, numpy.__version__, scipy.__version__, PIL.__version__,
         pyarrow.__version__, pandas.__version__, pyspark.__version__)), file=sys.stderr)
EOF
"$SPARK_HOME/bin/spark-submit" --version 2>&1 | grep -m1 -o 'version [0-9.]*' | sed "s/^/setup_peer: Spark jars /" >&2
say "done: PEER_HOME=$PEER_HOME; run the peer with $HERE/run_peer.sh --help"
