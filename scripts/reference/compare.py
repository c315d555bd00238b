"""Compares regenerated reference data with the committed one (see README.md).

    python3 scripts/reference/compare.py OUT [--resources pipeline-core/src/test/resources] [--details]

For every committed file under the folders that OUT holds (reference/, reference-sdxl/, reference-lora/, tiny-sd/expected/, schedulers/,
io/...): .npy -> same shape and dtype, max abs diff (ints: exact); *.json / *.json.gz -> parsed and compared value by
value (base64 float32 arrays decoded, `_use_default_values` compared as sets, float leaves reported with their largest
difference); every other file (safetensors, PNG, tokenizer files, configs) -> byte-identical or not. Prints one line per
group: files compared, max abs diff over its arrays, files that are not identical. Exit status 1 if any array differs
by more than --tol (default 0) or any file is missing.

Needs only numpy (any python3).
"""
import argparse
import base64
import gzip
import json
import os
import sys
from collections import OrderedDict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "pipeline-core", "src", "test", "resources")
# keys whose values describe the run itself (where/with what it was written), not the recorded data
PROVENANCE_KEYS = {"generated_by", "pipeline_dir", "checkpoint_note"}


def load_json(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rt") as f:
            return json.load(f)
    with open(path) as f:
        return json.load(f)


def b64_floats(s):
    try:
        raw = base64.b64decode(s, validate=True)
    except Exception:
        return None
    if len(raw) % 4 or len(raw) == 0:
        return None
    return np.frombuffer(raw, "<f4")


class JsonDiff:
    def __init__(self):
        self.max_float = 0.0
        self.diffs = []  # (path, a, b)

    def walk(self, a, b, path=""):
        if path.endswith("_use_default_values") and isinstance(a, list) and isinstance(b, list):
            if sorted(a) != sorted(b):
                self.diffs.append((path, a, b))
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in list(a) + [k for k in b if k not in a]:
                if k not in a or k not in b:
                    self.diffs.append((f"{path}/{k}", a.get(k, "<missing>"), b.get(k, "<missing>")))
                elif k in PROVENANCE_KEYS and a[k] != b[k]:
                    self.diffs.append((f"{path}/{k} (provenance)", a[k], b[k]))
                else:
                    self.walk(a[k], b[k], f"{path}/{k}")
            return
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                self.diffs.append((path + " (length)", len(a), len(b)))
                return
            for i, (x, y) in enumerate(zip(a, b)):
                self.walk(x, y, f"{path}[{i}]")
            return
        if isinstance(a, bool) or isinstance(b, bool):
            if a != b:
                self.diffs.append((path, a, b))
            return
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if a != b:
                d = abs(float(a) - float(b))
                self.max_float = max(self.max_float, d)
                self.diffs.append((path, a, b))
            return
        if isinstance(a, str) and isinstance(b, str) and a != b:
            fa, fb = b64_floats(a), b64_floats(b)
            if fa is not None and fb is not None and fa.shape == fb.shape:
                d = float(np.max(np.abs(fa.astype(np.float64) - fb.astype(np.float64))))
                self.max_float = max(self.max_float, d)
                self.diffs.append((path + " (base64 float32)", f"max abs diff {d:.3g}", ""))
                return
        if a != b:
            self.diffs.append((path, a, b))


def compare_npy(a, b):
    x, y = np.load(a), np.load(b)
    if x.shape != y.shape or x.dtype != y.dtype:
        return None, f"shape/dtype {x.shape} {x.dtype} vs {y.shape} {y.dtype}"
    if x.size == 0:
        return 0.0, None
    if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
        return (0.0 if np.array_equal(x, y) else float(np.max(np.abs(x.astype(np.int64) - y.astype(np.int64))))), None
    return float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))), None


def group_of(rel, case_groups):
    parts = rel.split("/")
    top = parts[0]
    if top == "tiny-sd":
        return "tiny-sd/expected" + ("/schedulers" if len(parts) > 2 and parts[2] == "schedulers" else "")
    if top in ("reference", "reference-sdxl", "reference-lora") and len(parts) > 1:
        g = case_groups.get((top, parts[1]))
        if g is not None:
            return f"{top} group {g}"
        if parts[1].startswith("tiny-"):
            return f"{top} checkpoints"
        return f"{top} {parts[1]}"
    return top


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="the folder the recorders wrote (holds reference/, schedulers/, ...)")
    ap.add_argument("--resources", default=RESOURCES)
    ap.add_argument("--tol", type=float, default=0.0)
    ap.add_argument("--details", action="store_true", help="list every differing JSON value")
    args = ap.parse_args()
    tops = [t for t in ("reference", "reference-sdxl", "reference-lora", "reference-unconditional",
                        "reference-tiny-vae", "reference-flow", "schedulers", "io")
            if os.path.isdir(os.path.join(args.out, t))]
    if os.path.isdir(os.path.join(args.out, "tiny-sd", "expected")):
        tops.append("tiny-sd/expected")
    case_groups = {}
    for top in ("reference", "reference-sdxl", "reference-lora"):
        mf = os.path.join(args.resources, top, "manifest.json")
        if os.path.exists(mf):
            for c in load_json(mf)["cases"]:
                case_groups[(top, c["name"])] = c["group"]
    stats = OrderedDict()
    problems = []
    json_reports = []
    for top in tops:
        root = os.path.join(args.resources, top)
        for dirpath, _, names in sorted(os.walk(root)):
            for n in sorted(names):
                a = os.path.join(dirpath, n)
                rel = os.path.relpath(a, args.resources).replace(os.sep, "/")
                if n.endswith((".py", ".md")):
                    continue
                b = os.path.join(args.out, rel)
                g = group_of(rel, case_groups)
                st = stats.setdefault(g, {"files": 0, "arrays": 0, "max": 0.0, "not_identical": []})
                st["files"] += 1
                if not os.path.exists(b):
                    problems.append(f"MISSING {rel}")
                    st["not_identical"].append(rel + " (missing)")
                    continue
                if n.endswith(".npy"):
                    st["arrays"] += 1
                    d, err = compare_npy(a, b)
                    if err:
                        problems.append(f"{rel}: {err}")
                        st["not_identical"].append(rel)
                        continue
                    st["max"] = max(st["max"], d)
                    if d > 0:
                        st["not_identical"].append(f"{rel} ({d:.3g})")
                    if d > args.tol:
                        problems.append(f"{rel}: max abs diff {d:.3g}")
                elif n.endswith((".json", ".json.gz")) and not (n.endswith(".json") and open(a, "rb").read() == open(b, "rb").read()):
                    jd = JsonDiff()
                    jd.walk(load_json(a), load_json(b))
                    if jd.diffs:
                        st["not_identical"].append(f"{rel} ({len(jd.diffs)} values differ, max float diff {jd.max_float:.3g})")
                        json_reports.append((rel, jd))
                        st["max"] = max(st["max"], jd.max_float)
                else:
                    if open(a, "rb").read() != open(b, "rb").read():
                        st["not_identical"].append(rel + " (bytes differ)")
    print(f"{'group':42} {'files':>6} {'arrays':>7} {'max abs diff':>13}  not identical")
    for g, st in stats.items():
        ni = st["not_identical"]
        print(f"{g:42} {st['files']:6d} {st['arrays']:7d} {st['max']:13.3g}  {len(ni)}" + (f": {', '.join(ni[:4])}" + (" ..." if len(ni) > 4 else "") if ni else ""))
    for rel, jd in json_reports:
        print(f"\n{rel}: {len(jd.diffs)} differing values (max float diff {jd.max_float:.3g})")
        for path, x, y in jd.diffs[: (None if args.details else 12)]:
            print(f"   {path}: {str(x)[:150]!s} | {str(y)[:150]!s}")
    if problems:
        print("\nPROBLEMS:")
        for p in problems[:200]:
            print("  " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
