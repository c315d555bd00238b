#!/usr/bin/env bash
# Regenerates every diffusers reference group into OUT and compares it with the committed test resources.
#   scripts/reference/run_all.sh OUT          (REF_SRC: the source checkouts, default /tmp/diffusers4j-ref-src)
# See scripts/reference/README.md. Copy the folders you mean to replace from OUT into pipeline-core/src/test/resources/.
set -euo pipefail
OUT=${1:?usage: run_all.sh OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
# the SD3 / FLUX / T5 recorders run in a venv of Debian's python with torch 2.13 and the tokenizers package
# (requirements-flow.txt; refenv.setup(profile="flow")): REF_FLOW_PYTHON, default /tmp/t2env/bin/python
FLOW_PY=${REF_FLOW_PYTHON:-/tmp/t2env/bin/python}
mkdir -p "$OUT"
run() { echo "== $*"; "$PY" "$@" 2>&1 | grep --line-buffered -v -e "safety checker" -e "Token indices sequence length" > "$OUT/$(basename "$1" .py).log" || { tail -30 "$OUT/$(basename "$1" .py).log"; exit 1; }; tail -1 "$OUT/$(basename "$1" .py).log"; }
run "$HERE/gen_fixture.py" --out "$OUT"
run "$HERE/gen_schedulers.py" --out "$OUT"
run "$HERE/gen_reference.py" --out "$OUT"
run "$HERE/gen_sdxl.py" --out "$OUT"
run "$HERE/gen_sdxl_image.py" --out "$OUT"
run "$HERE/gen_unconditional.py" --out "$OUT"
run "$HERE/gen_clip_edge_cases.py" --out "$OUT"
run "$HERE/gen_lora.py" --out "$OUT"
run "$HERE/gen_tiny_vae.py" --out "$OUT"
run "$HERE/gen_flow_schedulers.py" --out "$OUT"
PY=$FLOW_PY
run "$HERE/gen_t5_tokenizer.py" --out "$OUT"
run "$HERE/gen_flow_pipelines.py" --out "$OUT"
run "$HERE/gen_t5.py" --out "$OUT"
run "$HERE/gen_mmdit.py" --out "$OUT"
PY=/usr/bin/python3
"$PY" "$HERE/compare.py" "$OUT"
