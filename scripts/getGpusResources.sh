#!/usr/bin/env bash
# GPU discovery script for Spark resource scheduling (spark.executor.resource.gpu.discoveryScript on executors,
# spark.worker.resource.gpu.discoveryScript on standalone workers). Prints the JSON Spark expects:
#   {"name": "gpu", "addresses": ["0", "1"]}
# Addresses are nvidia-smi indices; CUDA_VISIBLE_DEVICES (when set) limits them. No GPU: an empty list.
set -euo pipefail

addresses=()
if command -v nvidia-smi >/dev/null 2>&1; then
  while IFS= read -r index; do
    index="${index//[[:space:]]/}"
    [[ -n "$index" ]] && addresses+=("$index")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null || true)
fi

if [[ -n "${CUDA_VISIBLE_DEVICES:-}" && ${#addresses[@]} -gt 0 ]]; then
  visible=()
  IFS=',' read -r -a wanted <<< "$CUDA_VISIBLE_DEVICES"
  for w in "${wanted[@]}"; do
    for a in "${addresses[@]}"; do [[ "$a" == "${w//[[:space:]]/}" ]] && visible+=("$a"); done
  done
  addresses=("${visible[@]+"${visible[@]}"}")
fi

json=""
for a in "${addresses[@]+"${addresses[@]}"}"; do
  json+="${json:+, }\"$a\""
done
echo "{\"name\": \"gpu\", \"addresses\": [$json]}"
