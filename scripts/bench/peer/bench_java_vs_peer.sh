#!/usr/bin/env bash
# Alternating runs of the Java job (scripts/diffusers4j job) and the PySpark peer (run_peer.sh) on the same prompts,
# model and settings; appends one row a run to $OUT/results.tsv (summarize.py reads it).
#   bench_java_vs_peer.sh [STEPS=4] [BATCH_SIZES="1 4"] [REPS=2] [FIRST_REP=1]
# Variables: PEER_HOME (/tmp/diffusers4j-peer), OUT ($PEER_HOME/bench), MODEL
# (~/.cache/diffusers4j/bench/sd15-random-seed0-v1, written by `scripts/diffusers4j bench --preset sd15`),
# PROMPTS (prompts16.jsonl beside this file), MASTER (local[2]), SIZE (256).
set -uo pipefail
STEPS=${1:-4}; BATCHES=${2:-"1 4"}; REPS=${3:-2}; FIRST=${4:-1}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT="$(cd "$HERE/../../.." && pwd)"
PEER_HOME="${PEER_HOME:-/tmp/diffusers4j-peer}"
PROMPTS="${PROMPTS:-$HERE/prompts16.jsonl}"
MODEL="${MODEL:-$HOME/.cache/diffusers4j/bench/sd15-random-seed0-v1}"
MASTER="${MASTER:-local[2]}"; SIZE="${SIZE:-256}"
OUT="${OUT:-$PEER_HOME/bench}"; mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
[[ -f "$RESULTS" ]] || printf 'run\tside\tbatch\timages_per_s\tload_before\tload_after\tmax_load1_during\twall_s\n' > "$RESULTS"

run_one() { # side batch rep
  local side=$1 b=$2 rep=$3 tag="$1-b$2-r$3"
  local log="$OUT/$tag.log" out="$OUT/out-$tag" before after t0 ips maxl sampler wall
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  ( while :; do cut -d' ' -f1 /proc/loadavg; sleep 5; done ) > "$OUT/$tag.load" & sampler=$!
  t0=$(date +%s.%N)
  if [[ $side == java ]]; then
    "$PROJECT/scripts/diffusers4j" job --prompts "$PROMPTS" --output "$out" --model "$MODEL" --steps "$STEPS" \
      --width "$SIZE" --height "$SIZE" --master "$MASTER" --batch-size "$b" > "$log" 2>&1
  else
    "$HERE/run_peer.sh" --prompts "$PROMPTS" --output "$out" --model "$MODEL" --steps "$STEPS" \
      --width "$SIZE" --height "$SIZE" --master "$MASTER" --batch-size "$b" > "$log" 2>&1
  fi
  ips=$(grep -oE '^  [0-9.]+ images/s' "$log" | grep -oE '[0-9.]+' | head -1)
  wall=$(echo "$(date +%s.%N) - $t0" | bc)
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  maxl=$(sort -g "$OUT/$tag.load" | tail -1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n' "$tag" "$side" "$b" "${ips:-FAILED}" "$before" "$after" "$maxl" "$wall" \
    >> "$RESULTS"
  echo "$(date +%T) $tag images/s=${ips:-FAILED} load before [$before] after [$after] max1m $maxl wall ${wall}s" \
    | tee -a "$OUT/driver.log"
}

for b in $BATCHES; do
  for r in $(seq "$FIRST" $((FIRST + REPS - 1))); do
    run_one java "$b" "$r"
    run_one peer "$b" "$r"
  done
done
