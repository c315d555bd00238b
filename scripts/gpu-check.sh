#!/usr/bin/env bash
# One-shot check of the CUDA path (issue 20, part 4) on a machine with an NVIDIA GPU and a CUDA libtorch 2.7.1:
#   1. bench: float16, SD-1.5 preset (seeded random weights) at 512x512, 50 steps, batch 1 (in memory);
#   2. bench: the same at batch 8, plus the Spark job (local mode) on 64 prompts against the bare pipeline
#      (writes the preset checkpoint, ~4.3 GB, once into the bench cache);
# then prints ONE JSON line on stdout (everything else goes to stderr). Budget: 5 minutes in all
# (GPU_CHECK_BUDGET_S, default 290); a step that would overrun is stopped and reported as timed out.
#
#   scripts/gpu-check.sh             run it (needs nvidia-smi, a CUDA torch 2.7.1, see README "CPU vs GPU")
#   scripts/gpu-check.sh --dry-run   print the commands it would run and exit (works anywhere)
#
# Exit codes: 0 all steps ran; 1 a step failed or timed out (the JSON says which); 2 no GPU / no CUDA libtorch.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUDGET_S="${GPU_CHECK_BUDGET_S:-290}"
LAUNCHER="$ROOT/scripts/diffusers4j"
COMMON=(bench --preset sd15 --device gpu --dtype float16 --height 512 --width 512 --steps 50 --runs 1 --json)
STEP1=("${COMMON[@]}" --in-memory --batch 1)
STEP2=("${COMMON[@]}" --batch 8 --job 64)

if [[ "${1:-}" == "--dry-run" ]]; then
  echo "$LAUNCHER ${STEP1[*]}"
  echo "$LAUNCHER ${STEP2[*]}"
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "gpu-check: unknown argument '$1' (usage: scripts/gpu-check.sh [--dry-run])" >&2
  exit 2
fi

refuse() {
  echo "gpu-check: $1" >&2
  exit 2
}

# --- the GPU ---------------------------------------------------------------------------------------------------
command -v nvidia-smi >/dev/null 2>&1 \
  || refuse "no NVIDIA GPU: nvidia-smi is not on PATH (this check needs an NVIDIA GPU with its driver installed)"
GPU_NAME="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1)"
[[ -n "$GPU_NAME" ]] || refuse "no NVIDIA GPU: nvidia-smi lists no device"

# --- a CUDA libtorch of DJL's version (2.7.1) --------------------------------------------------------------------
if [[ -z "${PYTORCH_LIBRARY_PATH:-}" ]]; then
  PYTORCH_LIBRARY_PATH="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' \
    2>/dev/null || true)"
fi
[[ -n "$PYTORCH_LIBRARY_PATH" && -f "$PYTORCH_LIBRARY_PATH/libtorch_cuda.so" ]] \
  || refuse "no CUDA libtorch: set PYTORCH_LIBRARY_PATH to the torch/lib folder of torch 2.7.1 built for CUDA 12.8 \
(pip install torch==2.7.1 --index-url https://download.pytorch.org/whl/cu128), got '${PYTORCH_LIBRARY_PATH:-}'"
export PYTORCH_LIBRARY_PATH
export PYTORCH_VERSION="${PYTORCH_VERSION:-2.7.1}" PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true

# --- the steps ---------------------------------------------------------------------------------------------------
START=$(date +%s)
OUT="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
STATUS=0

# run NAME ARGS...: the launcher under what is left of the budget; its last stdout line (bench's JSON) in $OUT/NAME
run() {
  local name="$1"; shift
  local left=$((BUDGET_S - ($(date +%s) - START)))
  if ((left < 10)); then
    echo "{\"error\": \"not run: the ${BUDGET_S} s budget was spent\"}" > "$OUT/$name.json"
    STATUS=1
    return
  fi
  echo "gpu-check: $name: $LAUNCHER $* (at most ${left} s)" >&2
  timeout --kill-after=10 "$left" "$LAUNCHER" "$@" > "$OUT/$name.out" 2> >(tee "$OUT/$name.err" >&2)
  local rc=$?
  local last
  last="$(grep '^{' "$OUT/$name.out" | tail -n 1)"
  if ((rc == 0)) && [[ -n "$last" ]]; then
    echo "$last" > "$OUT/$name.json"
  else
    local why="exit code $rc"
    ((rc == 124 || rc == 137)) && why="timed out"
    echo "{\"error\": \"$why\"}" > "$OUT/$name.json"
    STATUS=1
  fi
}

run batch1 "${STEP1[@]}"
run batch8_job64 "${STEP2[@]}"

ELAPSED=$(($(date +%s) - START))
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
printf '{"check": "gpu", "gpu": %s, "libtorch": %s, "budget_s": %d, "elapsed_s": %d, "ok": %s, ' \
  "$(json_string "$GPU_NAME")" "$(json_string "$PYTORCH_LIBRARY_PATH")" "$BUDGET_S" "$ELAPSED" \
  "$([[ $STATUS == 0 ]] && echo true || echo false)"
printf '"bench_sd15_512_50steps_fp16_batch1": %s, "bench_sd15_512_50steps_fp16_batch8_job64": %s}\n' \
  "$(cat "$OUT/batch1.json")" "$(cat "$OUT/batch8_job64.json")"
rm -rf "$OUT"
exit $STATUS
