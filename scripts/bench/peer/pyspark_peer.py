"""Python peer of the diffusers4j Spark job: PySpark + Hugging Face diffusers, one pipeline per Python worker.

  pyspark_peer.py --prompts P.jsonl --output DIR --model DIR [--steps 4] [--batch-size 1] [--width 256]
                  [--height 256] [--guidance-scale 7.5] [--master local[2]] [--partitions N] [--torch-threads 1]

Run it through run_peer.sh (the environment that setup_peer.sh builds; README.md). Reads the JSONL prompts (id,
prompt, seed) with spark.read.json, repartitions to N (default: the N of local[N]) and renders with mapInPandas:
each Python worker sets up the diffusers 0.30.3 reference environment (scripts/reference/refenv.py), builds
StableDiffusionPipeline.from_pretrained(model, safety_checker=None) once (module-level cache, so a reused worker
keeps it), uses torch.set_num_threads(T) (default 1) and renders batches of B rows per pipeline call with one
torch.Generator().manual_seed(seed) per row (the checkpoint's scheduler). PNG bytes (PIL defaults) are written to
Parquet (id, prompt, seed, image). images/s counts only the write action. Each worker logs its peak RSS
(getrusage ru_maxrss) at the end of every partition; the summary prints the largest per worker.

This file is both the driver script and the worker module (the workers import it by name from PYTHONPATH, so the
pipeline cache lives in a real module and survives across tasks of a reused worker).
"""
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time

_PIPE = {}
HERE = os.path.dirname(os.path.abspath(__file__))
# the project's reference environment (diffusers / transformers / huggingface_hub sources, stand-ins, patches)
REFENV_DIR = os.path.join(HERE, "..", "..", "reference")
# Spark 3.5's --add-opens list for Java 17 (the project's pom.xml, property spark.add.opens)
ADD_OPENS = ("-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED "
             "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED "
             "--add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED "
             "--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED "
             "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED "
             "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED "
             "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED "
             "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED "
             "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false")


def _refenv():
    """refenv.setup() inside a Python worker. setup() re-executes the interpreter when its environment variables
    (OPENBLAS_CORETYPE, PYTHONHASHSEED, HF offline switches) are missing; a PySpark worker must never do that, so the
    driver exports them before the JVM starts (the workers inherit them) and _REFENV_REEXEC=1 turns a missing one
    into an error instead of an exec."""
    sys.path.insert(0, os.path.abspath(REFENV_DIR))
    import refenv
    os.environ["_REFENV_REEXEC"] = "1"
    return refenv.setup(openblas_coretype=os.environ.get("OPENBLAS_CORETYPE", "Haswell"))


def _refenv_variables(openblas_coretype):
    """The variables refenv.setup() wants in the environment before numpy / torch load (read without importing
    torch: the driver never loads it)."""
    sys.path.insert(0, os.path.abspath(REFENV_DIR))
    import refenv
    env = dict(refenv._FORCED_ENV, OPENBLAS_CORETYPE=openblas_coretype)
    if "HF_HOME" not in os.environ:
        env["HF_HOME"] = os.path.join(tempfile.gettempdir(), "diffusers4j-ref-hf-home")
    return env


def _max_rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _rss_mb():
    """current RSS (VmRSS), for the steady state after the peak of the pipeline build"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _log(event, **kv):
    path = os.environ.get("PEER_LOG")
    rec = dict(event=event, pid=os.getpid(), t=time.time(), **kv)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")


def _pipeline(model, threads):
    key = (model, threads)
    if key not in _PIPE:
        t = time.perf_counter()
        torch = _refenv()  # before diffusers: sources on sys.path, safetensors stand-in, transformers patches
        torch.set_num_threads(threads)
        from diffusers import StableDiffusionPipeline
        t_load = time.perf_counter()
        pipe = StableDiffusionPipeline.from_pretrained(model, safety_checker=None)
        pipe.set_progress_bar_config(disable=True)
        _PIPE[key] = pipe
        now = time.perf_counter()
        _log("build", seconds=now - t, import_s=t_load - t, load_s=now - t_load,
             scheduler=type(pipe.scheduler).__name__, torch_threads=torch.get_num_threads(),
             max_rss_mb=_max_rss_mb())
    return _PIPE[key]


def render_partition(batches):
    """mapInPandas function: iterator of pandas DataFrames (id, prompt, seed) -> (id, prompt, seed, image)."""
    import pandas as pd
    cfg = json.loads(os.environ["PEER_CFG"])
    pipe = _pipeline(cfg["model"], cfg["torch_threads"])
    import torch
    b = cfg["batch_size"]
    rows = 0
    for pdf in batches:
        for start in range(0, len(pdf), b):
            chunk = pdf.iloc[start:start + b]
            seeds = [int(s) for s in chunk["seed"]]
            t = time.perf_counter()
            # --autocast-bf16: what a diffusers user on a CPU with bfloat16 instructions writes
            autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if cfg.get("autocast_bf16")
                        else contextlib.nullcontext())
            with autocast:
                images = pipe(prompt=list(chunk["prompt"]), num_inference_steps=cfg["steps"],
                              guidance_scale=cfg["guidance_scale"], width=cfg["width"], height=cfg["height"],
                              generator=[torch.Generator().manual_seed(s) for s in seeds]).images
            t_render = time.perf_counter() - t
            pngs = []
            for im in images:
                buf = io.BytesIO()
                im.save(buf, format="PNG")
                pngs.append(buf.getvalue())
            _log("batch", n=len(seeds), render_s=t_render, total_s=time.perf_counter() - t)
            rows += len(seeds)
            yield pd.DataFrame({"id": list(chunk["id"]), "prompt": list(chunk["prompt"]), "seed": seeds,
                                "image": pngs})
    _log("partition", rows=rows, max_rss_mb=_max_rss_mb(), rss_mb=_rss_mb())


def main(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--height", type=int, default=256)
    ap.add_argument("--guidance-scale", type=float, default=7.5)
    ap.add_argument("--master", default="local[2]", help="Spark master; local[N] runs N tasks (Python workers)")
    ap.add_argument("--partitions", type=int, default=None,
                    help="partitions of the prompts (default: N of local[N], else 2)")
    ap.add_argument("--torch-threads", type=int, default=1, help="torch threads per Python worker")
    ap.add_argument("--autocast-bf16", action="store_true",
                    help="each pipeline call inside torch.autocast('cpu', dtype=torch.bfloat16)")
    ap.add_argument("--driver-memory", default=os.environ.get("PEER_DRIVER_MEMORY", "2g"))
    a = ap.parse_args(argv)
    if a.partitions is None:
        m = re.fullmatch(r"local\[(\d+|\*)(,\d+)?\]", a.master)
        a.partitions = (os.cpu_count() if m.group(1) == "*" else int(m.group(1))) if m else 2
    t_start = time.perf_counter()
    # the workers (forked from the JVM's Python daemon) inherit this environment
    os.environ["PYTHONPATH"] = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
    os.environ.update(_refenv_variables(os.environ.get("PEER_OPENBLAS_CORETYPE", "Haswell")))
    # refenv.setup() writes its stand-in packages into a temporary folder in each worker; PySpark ends workers with
    # os._exit (no atexit clean-up), so they go into a folder of this run, removed at the end
    run_tmp = tempfile.mkdtemp(prefix="diffusers4j-peer-run-")
    os.environ["TMPDIR"] = run_tmp
    os.environ["PEER_CFG"] = json.dumps(dict(model=os.path.expanduser(a.model), steps=a.steps,
                                             guidance_scale=a.guidance_scale, width=a.width, height=a.height,
                                             batch_size=a.batch_size, torch_threads=a.torch_threads,
                                             autocast_bf16=a.autocast_bf16))
    log = os.path.join(os.path.abspath(a.output) + ".peerlog.jsonl")
    if os.path.exists(log):
        os.remove(log)
    os.environ["PEER_LOG"] = log
    import pyspark_peer as mod  # pickled by reference: the workers import the same module
    from pyspark.sql import SparkSession
    # these options reach spark-submit (PySpark passes the builder's conf when it launches the JVM); logging as
    # quiet as the Java job's (the project's conf/log4j2.properties)
    java_opts = ADD_OPENS
    log4j_conf = os.path.abspath(os.path.join(HERE, "..", "..", "..", "conf", "log4j2.properties"))
    if os.path.exists(log4j_conf):
        java_opts += " -Dlog4j2.configurationFile=" + log4j_conf
    spark = (SparkSession.builder.master(a.master).appName("pyspark-diffusers-peer")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", a.driver_memory)
             .config("spark.driver.extraJavaOptions", java_opts)
             .config("spark.executor.extraJavaOptions", java_opts)
             .config("spark.sql.shuffle.partitions", str(a.partitions))
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    t_session = time.perf_counter() - t_start
    df = spark.read.json(a.prompts).select("id", "prompt", "seed").repartition(a.partitions)
    out = df.mapInPandas(mod.render_partition, "id string, prompt string, seed long, image binary")
    t0 = time.perf_counter()
    out.write.mode("overwrite").parquet(a.output)
    secs = time.perf_counter() - t0
    n = spark.read.parquet(a.output).count()
    spark.stop()
    shutil.rmtree(run_tmp, ignore_errors=True)
    recs = [json.loads(line) for line in open(log)] if os.path.exists(log) else []
    builds = [r for r in recs if r["event"] == "build"]
    batches = [r for r in recs if r["event"] == "batch"]
    rss, rss_now = {}, {}
    for r in recs:
        if "max_rss_mb" in r:
            rss[r["pid"]] = max(rss.get(r["pid"], 0.0), r["max_rss_mb"])
        if "rss_mb" in r:
            rss_now[r["pid"]] = r["rss_mb"]  # the last partition's
    render = sum(r["render_s"] for r in batches)
    print("pyspark peer -> %s" % a.output)
    print("  images: %d (batch size %d, %d partitions, %d torch thread(s) per worker, %s)"
          % (n, a.batch_size, a.partitions, a.torch_threads,
             "autocast bfloat16" if a.autocast_bf16 else "float32"))
    print("  %.3f images/s (%.1f s write action; %.1f s of pipeline calls in %d batches)"
          % (n / secs, secs, render, len(batches)))
    print("  pipeline builds: %s" % ", ".join("pid %d %.1f s (imports %.1f s, from_pretrained %.1f s; %s, %d thread)" % (
        r["pid"], r["seconds"], r["import_s"], r["load_s"], r["scheduler"], r["torch_threads"]) for r in builds))
    print("  peak RSS per Python worker: %s" % (", ".join(
        "pid %d %.0f MiB (%.0f MiB at its last partition's end)" % (p, m, rss_now.get(p, float("nan")))
        for p, m in sorted(rss.items())) or "n/a"))
    print("  session start %.1f s; wall %.1f s" % (t_session, time.perf_counter() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
